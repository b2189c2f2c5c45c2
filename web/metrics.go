package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"palabre/room"
)

// metricsHandler serves a registry of the server's own (never the global
// default, which any imported package may fill): the hub's and the doors'
// counters, read at each scrape, and Go's and the process's collectors.
func (s *Server) metricsHandler() (http.Handler, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&collector{s: s},
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4}), nil
}

var (
	descMembers    = prometheus.NewDesc("palabre_members", "Members on the server now, by door.", []string{"door"}, nil)
	descRooms      = prometheus.NewDesc("palabre_rooms", "Rooms that exist now, the default one included.", nil, nil)
	descJoins      = prometheus.NewDesc("palabre_joins_total", "Members admitted.", nil, nil)
	descLeaves     = prometheus.NewDesc("palabre_leaves_total", "Members gone, by reason (moves between rooms not counted).", []string{"reason"}, nil)
	descPosted     = prometheus.NewDesc("palabre_messages_posted_total", "Public and private messages sent.", nil, nil)
	descDeliveries = prometheus.NewDesc("palabre_deliveries_total", "Messages put in a member's outbox.", nil, nil)
	descEvictions  = prometheus.NewDesc("palabre_outbox_evictions_total", "Members removed as too slow: their outbox was over its bounds.", nil, nil)
	descDelays     = prometheus.NewDesc("palabre_flood_delays_total", "Messages flood control held back.", nil, nil)
	descBytes      = prometheus.NewDesc("palabre_bytes_written_total", "Bytes written to clients, by door.", []string{"door"}, nil)
	descHandshakes = prometheus.NewDesc("palabre_ssh_handshakes_failed_total", "SSH connections that ended before a session: a failed key exchange or authentication, a timeout.", nil, nil)
	descRowsWrit   = prometheus.NewDesc("palabre_transcript_rows_written_total", "Transcript writes committed.", nil, nil)
	descRowsDrop   = prometheus.NewDesc("palabre_transcript_rows_dropped_total", "Transcript writes refused by a full queue.", nil, nil)
	descRowsFail   = prometheus.NewDesc("palabre_transcript_rows_failed_total", "Transcript writes the database refused or lost (a full disk).", nil, nil)
	descQueue      = prometheus.NewDesc("palabre_transcript_queue", "Transcript writes waiting for the writer.", nil, nil)
	descStoreUp    = prometheus.NewDesc("palabre_store_up", "1 while the store writes, 0 while its last commit failed.", nil, nil)
)

// collector reads the counters at scrape time: the hub and the doors keep
// plain atomics and know nothing of Prometheus.
type collector struct{ s *Server }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMembers, descRooms, descJoins, descLeaves, descPosted, descDeliveries,
		descEvictions, descDelays, descBytes, descHandshakes, descRowsWrit, descRowsDrop, descRowsFail, descQueue, descStoreUp} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	o := c.s.opts
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	hs := o.Hub.Stats()
	for _, d := range o.Doors {
		gauge(descMembers, float64(hs.Members[d.Name]), string(d.Name))
		if d.BytesWritten != nil {
			counter(descBytes, d.BytesWritten(), string(d.Name))
		}
	}
	gauge(descRooms, float64(hs.Rooms))
	counter(descJoins, hs.Joins)
	for _, r := range room.Reasons() { // each reason from 0: a rate needs the series before the first event
		counter(descLeaves, hs.Leaves[r], r.String())
	}
	counter(descPosted, hs.Posted)
	counter(descDeliveries, hs.Deliveries)
	counter(descEvictions, hs.Evictions)
	counter(descDelays, hs.Delays)
	if o.SSHHandshakesFailed != nil {
		counter(descHandshakes, o.SSHHandshakesFailed())
	}
	if o.Store != nil {
		st := o.Store()
		counter(descRowsWrit, st.Written)
		counter(descRowsDrop, st.Dropped)
		counter(descRowsFail, st.Failed)
		gauge(descQueue, float64(st.Pending))
		up := 1.0
		if st.Failing {
			up = 0
		}
		gauge(descStoreUp, up)
	}
}
