package room

import (
	"fmt"
	"time"
)

// Defaults for the rooms' options left at zero.
const (
	DefaultRoom     = "main"
	DefaultMaxRooms = 100
	DefaultRoomIdle = 10 * time.Minute
)

// Creation says who may create a room by joining it.
type Creation uint8

const (
	RoomsOpen Creation = iota // anyone
	RoomsOps                  // operators only; others join the rooms that exist
)

func (c Creation) String() string {
	if c == RoomsOps {
		return "ops"
	}
	return "open"
}

// UnmarshalText reads "open" or "ops".
func (c *Creation) UnmarshalText(b []byte) error {
	switch string(b) {
	case "open", "":
		*c = RoomsOpen
	case "ops":
		*c = RoomsOps
	default:
		return fmt.Errorf("rooms: %q is neither open nor ops", b)
	}
	return nil
}
