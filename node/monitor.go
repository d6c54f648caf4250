package node

import "context"

// MonitorConfig says which logs a node watches for risks (issue 5).
type MonitorConfig struct{}

// monitor runs the node's log ingestion and detection until ctx ends.
func (r *Runtime) monitor(ctx context.Context) {}
