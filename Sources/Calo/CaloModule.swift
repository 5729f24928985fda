/// Calorimeter data: shower simulator, .npz I/O, preprocessing, physics features.
public enum CaloModule {}
