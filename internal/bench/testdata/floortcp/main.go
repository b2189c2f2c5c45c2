// Command floortcp is the floor of a Go relay on this machine: the course's
// server (course_server.py) written in plain Go, one goroutine per client
// reading, and the reader writing each message to every other client in
// turn, as the course's thread does; no room, no history, no transcript,
// no flood control. palabre's TCP door cannot cost less per delivery than
// this does; `palabre bench --course` measures it as it measures the
// course's server:
//
//	go run ./internal/bench/testdata/floortcp 127.0.0.1:12800
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"sync"
)

func main() {
	addr := "127.0.0.1:12800"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("Serveur prêt, en attente de requêtes ...")
	var mu sync.Mutex
	clients := map[string]net.Conn{}
	for n := 1; ; n++ {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		name := fmt.Sprintf("Thread-%d", n)
		mu.Lock()
		clients[name] = c
		mu.Unlock()
		c.Write([]byte("Vous êtes connectés. SVP, envoyez vos messages."))
		go func() {
			defer func() {
				mu.Lock()
				delete(clients, name)
				mu.Unlock()
				c.Close()
			}()
			r := bufio.NewReaderSize(c, 1024)
			for {
				line, err := r.ReadBytes('\n')
				if err != nil {
					return
				}
				msg := append([]byte(name+"> "), line...)
				mu.Lock()
				others := make([]net.Conn, 0, len(clients))
				for other, oc := range clients {
					if other != name {
						others = append(others, oc)
					}
				}
				mu.Unlock()
				for _, oc := range others {
					oc.Write(msg)
				}
			}
		}()
	}
}
