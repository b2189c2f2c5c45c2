package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"palabre/room"
)

// KeepRoom is called by the hub, under its lock, after an event of this
// node's changed what the rooms bucket keeps of a room: queued, as bans
// are. Each write compares the revision it read: a state taken after a
// later event, another node's, is never overwritten by an earlier one.
func (n *Node) KeepRoom(k room.KeptRoom) {
	n.queueTo(n.banq, "a room's state", func(ctx context.Context) error {
		key := token(k.Name)
		for {
			var rev uint64
			e, err := n.rooms.Get(ctx, key)
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
			case err != nil:
				return err
			default:
				var kept room.KeptRoom
				if json.Unmarshal(e.Value(), &kept) == nil && kept.Seq >= k.Seq {
					return nil // a later state is kept
				}
				rev = e.Revision()
			}
			switch {
			case k.Empty() && rev == 0:
				return nil
			case k.Empty():
				err = n.rooms.Delete(ctx, key, jetstream.LastRevision(rev))
			default:
				data, merr := json.Marshal(k)
				if merr != nil {
					return merr
				}
				if rev == 0 {
					_, err = n.rooms.Create(ctx, key, data)
				} else {
					_, err = n.rooms.Update(ctx, key, data, rev)
				}
			}
			if err == nil || ctx.Err() != nil {
				return err
			}
		}
	})
}

// seedRooms gives the hub what the bucket keeps of the rooms, once the
// stream's replay is done.
func (n *Node) seedRooms(ctx context.Context) error {
	rooms, err := valuesOf[room.KeptRoom](ctx, n.rooms)
	if err != nil {
		return fmt.Errorf("cluster: the rooms: %w", err)
	}
	n.hub.SeedRooms(rooms)
	return nil
}
