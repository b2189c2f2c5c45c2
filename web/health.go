package web

import (
	"encoding/json"
	"net/http"
)

// health is /healthz's answer.
type health struct {
	Status     string         `json:"status"`
	UptimeS    int64          `json:"uptime_s"`
	Members    map[string]int `json:"members"`
	Rooms      int            `json:"rooms"`
	StoreQueue uint64         `json:"store_queue"`
}

// healthz answers 200 while the server can do its work, 503 while the
// store cannot write (a full disk): the room still relays then, but
// nothing said is kept, and the teacher's monitoring should know.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	hs := s.opts.Hub.Stats()
	h := health{Status: "ok", UptimeS: int64(s.opts.Now().Sub(s.started).Seconds()), Members: map[string]int{}, Rooms: hs.Rooms}
	for _, d := range s.opts.Doors {
		h.Members[string(d.Name)] = hs.Members[d.Name]
	}
	code := http.StatusOK
	if s.opts.Store != nil {
		st := s.opts.Store()
		h.StoreQueue = st.Pending
		if st.Failing {
			h.Status, code = "store failing", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(h)
}
