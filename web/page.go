package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"

	"palabre/room"
)

// The page is plain HTML, CSS and JavaScript in the binary: no build step,
// no CDN, no font from elsewhere; a classroom may have no internet.
//
//go:embed page
var pageFiles embed.FS

var pageTemplate = template.Must(template.ParseFS(pageFiles, "page/index.html"))

// page serves / in the language the browser reads best among the page's,
// and its script, style and icon.
type page struct {
	lang     room.Lang
	rendered map[room.Lang][]byte // the page is the same for every visitor of a language
	assets   fs.FS
}

func newPage(lang room.Lang, password bool) (*page, error) {
	p := &page{lang: lang, rendered: map[room.Lang][]byte{}}
	for l, t := range pageTexts {
		var b bytes.Buffer
		if err := pageTemplate.Execute(&b, struct {
			Lang     room.Lang
			Password bool
			T        pageText
		}{l, password, t}); err != nil {
			return nil, err
		}
		p.rendered[l] = b.Bytes()
	}
	sub, err := fs.Sub(pageFiles, "page")
	if err != nil {
		return nil, err
	}
	p.assets = sub
	return p, nil
}

func (p *page) serveIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Accept-Language")
	w.Write(p.rendered[pageLang(r.Header.Get("Accept-Language"), p.lang)])
}

// serveAsset serves one of the page's files; no-cache: a browser asks
// again (and gets 304) so that a new binary's page is never half old.
func (p *page) serveAsset(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, p.assets, name)
	})
}

func (p *page) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", p.serveIndex)
	for _, name := range []string{"app.js", "style.css", "icon.svg"} {
		mux.Handle("GET /"+name, p.serveAsset(name))
	}
}
