package web

import "net/http"

// ScanActions are the enterprise node's data source and scan operations.
type ScanActions interface{}

// scanRoutes adds the data source and scan pages when Config.Scans is set.
func (s *server) scanRoutes(mux *http.ServeMux) {}
