"""The HTTP surface: GraphQL over HTTP and WebSocket, GraphiQL, and health probes."""
