// Package httpapi holds the HTTP conventions shared by the federation API and
// the console API: JSON responses and the one mapping from domain error codes
// to HTTP status codes.
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/shuan-dev/shuan"
)

// Status maps a domain error code to an HTTP status.
func Status(code string) int {
	switch code {
	case shuan.EINVALID:
		return http.StatusBadRequest
	case shuan.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case shuan.EFORBIDDEN:
		return http.StatusForbidden
	case shuan.ENOTFOUND:
		return http.StatusNotFound
	case shuan.ECONFLICT:
		return http.StatusConflict
	case shuan.EEXPIRED:
		return http.StatusGone
	case shuan.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"error"`
}

// Error writes err as JSON with the mapped status; internal errors are
// logged once here and shown to the client without detail.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := shuan.ErrorCode(err)
	msg := shuan.ErrorMessage(err)
	if code == shuan.EINTERNAL && log != nil {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	JSON(w, Status(code), ErrorBody{Code: code, Message: msg})
}

// JSON writes v with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
