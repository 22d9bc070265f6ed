"""alerts subscribes to what shipments announces."""
