"""Gates shared by motion models (below) and association steps (above): chi-square quantiles."""

# Chi-square 0.95 quantiles by degrees of freedom (scipy.stats.chi2.ppf(0.95, dof)), the usual gate
# for squared Mahalanobis distances of a dof-dimensional measurement.
CHI2INV95 = {
    1: 3.841458820694124,
    2: 5.991464547107979,
    3: 7.814727903251179,
    4: 9.487729036781154,
    5: 11.070497693516351,
    6: 12.591587243743977,
    7: 14.067140449340169,
    8: 15.50731305586545,
    9: 16.918977604620448,
}
