package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	bolt "go.etcd.io/bbolt"
)

// getBlob returns a copy of the blob with hash h; nil for "" or absent.
func getBlob(tx *bolt.Tx, h string) []byte {
	if h == "" {
		return nil
	}
	return clone(tx.Bucket(bucketBlobs).Get([]byte(h)))
}

// replaceBlob stores data, takes a reference to it and drops the reference
// to old, returning data's hash.
func replaceBlob(tx *wtx, old string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	refs := tx.Bucket(bucketRefs)
	n := refCount(refs, h)
	if n == 0 {
		if err := tx.Bucket(bucketBlobs).Put([]byte(h), data); err != nil {
			return "", err
		}
	}
	if err := setRefs(refs, h, n+1); err != nil {
		return "", err
	}
	return h, dropBlob(tx, old)
}

// dropBlob releases one reference, deleting the blob with its last.
func dropBlob(tx *wtx, h string) error {
	if h == "" {
		return nil
	}
	refs := tx.Bucket(bucketRefs)
	n := refCount(refs, h)
	if n > 1 {
		return setRefs(refs, h, n-1)
	}
	if err := refs.Delete([]byte(h)); err != nil {
		return err
	}
	return tx.Bucket(bucketBlobs).Delete([]byte(h))
}

func refCount(b *bolt.Bucket, h string) uint64 {
	v := b.Get([]byte(h))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func setRefs(b *bolt.Bucket, h string, n uint64) error {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], n)
	return b.Put([]byte(h), v[:])
}
