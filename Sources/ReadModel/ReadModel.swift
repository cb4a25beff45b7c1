// Read tables and their queries (projector and query-service).
public enum ReadModel {}
