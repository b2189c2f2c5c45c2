package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// relay consumes the stream into the hub, from the event after the last
// one applied, until ctx ends. Its consumer lives on one of the NATS
// servers; when that server dies the consumer goes quiet, and relay makes
// another at once, on a server that lives, from where it stopped: a
// library's ordered consumer waits up to 10 s per attempt for that, here
// an attempt takes at most the node's Timeout.
func (n *Node) relay(ctx context.Context) {
	defer n.wg.Done()
	for ctx.Err() == nil {
		if err := n.consumeOnce(ctx); err != nil && ctx.Err() == nil {
			n.log.Debug("cluster: consuming the stream again", "from", n.hub.Seq()+1, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond): // a retry's pace, not a synchronisation
			}
		}
	}
}

// consumeOnce makes a consumer from the event after the last applied and
// relays what it delivers until it goes quiet or ctx ends; it returns once
// its deliveries have stopped, so that the next consumer never overtakes
// this one's last event.
func (n *Node) consumeOnce(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	cons, err := n.js.CreateConsumer(cctx, Stream, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       n.hub.Seq() + 1,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: 10 * time.Second, // a consumer left behind on a server that came back goes
	})
	cancel()
	if err != nil {
		return fmt.Errorf("a consumer of %s: %w", Stream, err)
	}
	quiet := make(chan error, 1)
	cc, err := cons.Consume(n.apply,
		// Heartbeats every half second: a consumer on a server that died
		// is noticed within a second or so.
		jetstream.PullExpiry(2*time.Second), jetstream.PullHeartbeat(500*time.Millisecond),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, jetstream.ErrConsumerDeleted) ||
				errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConnectionClosed) {
				select {
				case quiet <- err:
				default:
				}
			}
		}))
	if err != nil {
		n.dropConsumer(cons)
		return err
	}
	select {
	case <-ctx.Done():
		err = nil
	case err = <-quiet:
	case <-cc.Closed():
		err = errors.New("the consumer closed")
	}
	cc.Stop()
	<-cc.Closed()
	n.dropConsumer(cons)
	return err
}

// dropConsumer deletes a consumer given up on, in the background: its
// server may be the one that died (then it goes by itself when it is back,
// after its InactiveThreshold).
func (n *Node) dropConsumer(cons jetstream.Consumer) {
	name := cons.CachedInfo().Name
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
		defer cancel()
		_ = n.js.DeleteConsumer(ctx, Stream, name)
	}()
}
