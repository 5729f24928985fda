/// Neural-network layers with explicit forward/backward, losses, spectral norm, Adam.
public enum NNModule {}
