/// k-means, PRD curves, RAW and Physical PRD, and the physics distances.
///
/// Layout: `FeatureMatrix` (row-major N×D samples) and `Standardizer`; `MiniBatchKMeans`
/// (Sculley 2010, k-means++ start, GEMM distances); `PRDCurve` (Sajjadi et al. 2018 on two
/// histograms) and `PRDEvaluator` (clustering + averaged curve + AUC, docs/science.md §6);
/// `PhysicsDistances/`: `PhysicsDistanceEvaluator` (FPD, KPD, KID, W1 of docs/science.md
/// §6.1, on LAPACK/BLAS from Tensor) and `PhysicsHistogramBinning` (Appendix C data). The quality
/// gain is the TrialProtocol target's (`QualityGain`), shared with the orchestrator.
public enum MetricsModule {}
