package web

import "net/http"

// MonitorActions are the monitoring, incident and warning operations of a node.
type MonitorActions interface{}

// monitorRoutes adds the event, incident and warning pages when Config.Monitor is set.
func (s *server) monitorRoutes(mux *http.ServeMux) {}
