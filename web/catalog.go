package web

import "net/http"

// CatalogActions are the catalog and filing operations of a node.
type CatalogActions interface{}

// catalogRoutes adds the catalog and filing pages when Config.Catalog is set.
func (s *server) catalogRoutes(mux *http.ServeMux) {}
