"""The PyTorch network of `TemporalEventClassifier` (imports torch; load it lazily).

Per tube frame: an actor embedding, refined by attention over the other agents on the same frame (actor-actor
relations as in ACAR-Net, with a learned "no context" slot so a lone agent attends to something), then a
stack of dilated, non-causal temporal convolutions over the tube, then one multi-label sigmoid head per label
type.

Why temporal convolutions: events are decided by patterns a second or two long (a blinking indicator, a
deceleration, a turn). Four residual blocks of kernel 3 with dilations 1, 2, 4, 8 see 1 + 2 x 15 = 31 frames
(2.6 s at 12 fps), 15 each way; they run in parallel over time (a GRU is sequential, hence slow on a CPU) and
need far less data than a transformer. Tubes are labelled offline, so the convolutions look both ways.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn


class _Block(nn.Module):
    def __init__(self, width: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)
        self.norm = nn.GroupNorm(1, width)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        y = self.drop(torch.nn.functional.gelu(self.norm(self.conv(x * mask))))
        return (x + y) * mask


class EventNet(nn.Module):
    """Actor features + context -> per-frame logits for each label type.

    Args:
        actor_dim: length of a tube frame's feature vector.
        context_dim: length of one context agent's feature vector.
        heads: label type -> number of classes, e.g. ``{"action": 19, "loc": 12}``.
        width: hidden width.
        dilations: one residual temporal block per entry.
        dropout: dropout rate inside the blocks.
        attention_heads: heads of the actor-context attention.
    """

    def __init__(self, actor_dim: int, context_dim: int, heads: Mapping[str, int], width: int = 64,
                 dilations: tuple[int, ...] = (1, 2, 4, 8), dropout: float = 0.1, attention_heads: int = 4) -> None:
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(actor_dim, width), nn.GELU(), nn.Linear(width, width))
        self.context = nn.Sequential(nn.Linear(context_dim, width), nn.GELU(), nn.Linear(width, width))
        self.empty = nn.Parameter(torch.zeros(1, 1, width))
        if width % attention_heads:
            raise ValueError(f"width {width} must be a multiple of attention_heads {attention_heads}")
        self.num_heads = attention_heads
        self.query, self.key_value = nn.Linear(width, width), nn.Linear(width, 2 * width)
        self.merge = nn.Linear(width, width)
        self.norm = nn.LayerNorm(width)
        self.blocks = nn.ModuleList(_Block(width, d, dropout) for d in dilations)
        self.heads = nn.ModuleDict({name: nn.Linear(width, n) for name, n in heads.items()})

    def forward(self, actor: torch.Tensor, context: torch.Tensor, context_mask: torch.Tensor,
                mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-frame logits.

        Args:
            actor: (B, T, actor_dim) float.
            context: (B, T, K, context_dim) float.
            context_mask: (B, T, K) bool, True for real context agents.
            mask: (B, T) bool, True for real (not padded) frames.

        Returns:
            label type -> (B, T, C) logits.
        """
        b, t, k, _ = context.shape
        h = self.num_heads
        actors = self.actor(actor)  # (B, T, W)
        keys = torch.cat([self.empty.expand(b, t, 1, -1), self.context(context)], dim=2)  # (B, T, K + 1, W)
        q = self.query(actors).reshape(b, t, h, -1)
        key, value = self.key_value(keys).reshape(b, t, k + 1, 2, h, -1).unbind(3)
        # Attention over the K + 1 slots of each frame (tiny: explicit einsum beats the generic kernel on CPU).
        logits = torch.einsum("bthd,btkhd->bthk", q, key) / q.shape[-1] ** 0.5
        open_slots = torch.cat([torch.ones_like(context_mask[..., :1]), context_mask], dim=2)  # empty slot always open
        logits = logits.masked_fill(~open_slots[:, :, None, :], float("-inf"))
        related = torch.einsum("bthk,btkhd->bthd", logits.softmax(-1), value).reshape(b, t, -1)
        x = self.norm(actors + self.merge(related)).transpose(1, 2)  # (B, width, T)
        m = mask.unsqueeze(1).to(x.dtype)
        for block in self.blocks:
            x = block(x, m)
        x = x.transpose(1, 2)
        return {name: head(x) for name, head in self.heads.items()}
