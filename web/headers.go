package web

import "net/http"

// secureHeaders sets on every response, 404s included, what a browser
// should never guess: the content type is the one sent, no page of this
// server tells another site where its visitor came from, and the page
// runs only its own script and style, talks only to this server, and is
// framed by no one (a member's text that slipped into the DOM as HTML
// still could not run).
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		next.ServeHTTP(w, r)
	})
}

const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
