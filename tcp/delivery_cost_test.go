package tcp_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"sync"
	"testing"

	"palabre/internal/costprobe"
)

// BenchmarkDeliveryCost measures what delivering a message costs the TCP
// door, in a server process of its own: 200 members read, one sends, and
// each message is waited for by all before the next (the low-rate case,
// where every delivery is its own write). It reports the server's CPU per
// delivery. Run it with -benchtime=500x or so.
func BenchmarkDeliveryCost(b *testing.B) {
	const readers = 200
	child := costprobe.Start(b, "PALABRE_TCP_SERVE")
	join := func() (net.Conn, *bufio.Reader, error) {
		c, err := net.Dial("tcp", child.Addr)
		if err != nil {
			return nil, nil, err
		}
		r := bufio.NewReader(c)
		for range 2 { // the greeting and the welcome
			if _, err := r.ReadString('\n'); err != nil {
				c.Close()
				return nil, nil, err
			}
		}
		return c, r, nil
	}
	sender, _, err := join()
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	got := make(chan int, readers)
	// All at once: each greeting waits for the door's look at whether the
	// client speaks first (an HTTP request), which one by one adds up.
	var joined, reading sync.WaitGroup
	for range readers {
		joined.Add(1)
		reading.Add(1)
		go func() {
			defer reading.Done()
			c, r, err := join()
			joined.Done()
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for {
				line, err := r.ReadBytes('\n')
				if err != nil {
					return
				}
				if bytes.Contains(line, []byte("> m")) {
					got <- 1
				}
			}
		}()
	}
	joined.Wait()
	if b.Failed() {
		return
	}
	// The joins, told to everyone, settle first.
	child.StatWhen(func(s costprobe.Stat) bool { return s.Members == readers+1 && s.Goroutines <= readers+1+8 })
	before := child.Stat()
	b.ResetTimer()
	for i := range b.N {
		if _, err := fmt.Fprintf(sender, "m%d\n", i); err != nil {
			b.Fatal(err)
		}
		for range readers {
			<-got
		}
	}
	b.StopTimer()
	after := child.Stat()
	b.ReportMetric(float64(after.CPU-before.CPU)/float64(b.N*readers), "server-ns/delivery")
}
