/// k-means, PRD curves, RAW and Physical PRD, quality gain.
public enum MetricsModule {}
