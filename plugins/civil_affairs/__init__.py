"""The civil_affairs department plugin."""
