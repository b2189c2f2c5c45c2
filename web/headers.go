package web

import "net/http"

// secureHeaders sets on every response, 404s included, what a browser
// should never guess: the content type is the one sent, and no page of
// this server tells another site where its visitor came from.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
