package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

// idState makes NewID monotonic within one process: ids made in the same
// millisecond count up from the first one's random part.
var idState struct {
	sync.Mutex
	ms   uint64
	rand [10]byte
}

// NewID returns a new 32-character lower-case hex id: 48 bits of Unix
// milliseconds followed by 80 random bits. Ids therefore sort by creation
// time, which keeps B-tree inserts local and listings ordered by id close to
// creation order; within one process they are strictly increasing.
func NewID() string {
	ms := uint64(time.Now().UnixMilli())
	var b [16]byte
	idState.Lock()
	if ms <= idState.ms {
		// Same (or an earlier, after a clock step) millisecond: count up.
		incr(idState.rand[:])
		ms = idState.ms
	} else {
		idState.ms = ms
		if _, err := rand.Read(idState.rand[:]); err != nil {
			panic("store: read random bytes: " + err.Error()) // crypto/rand never fails on supported platforms
		}
	}
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	copy(b[6:], idState.rand[:])
	idState.Unlock()
	return hex.EncodeToString(b[:])
}

// incr adds one to the big-endian number in b. On overflow of the random
// part it carries into the timestamp, which stays ordered.
func incr(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
	idState.ms++
}
