package app

import (
	"context"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/serve/store"
)

// StorePath is the store `triage store` works on: the one given, else
// serve.store.
func StorePath(c config.Config, given string) string {
	if given != "" {
		return config.ExpandHome(given)
	}
	return config.ExpandHome(c.Serve.Store)
}

// CheckStore checks the store at path, reading it only.
func CheckStore(ctx context.Context, path string) (store.CheckReport, error) {
	return store.CheckFile(ctx, path)
}

// SalvageStore copies every readable incident of the store at path into a
// new store at dst.
func SalvageStore(ctx context.Context, path, dst string) (store.SalvageReport, error) {
	return store.Salvage(ctx, path, config.ExpandHome(dst))
}
