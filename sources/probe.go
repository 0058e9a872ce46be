package sources

import "context"

// BuildInfo is what a backend says about its own build.
type BuildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Branch    string `json:"branch,omitempty"`
	GoVersion string `json:"goVersion,omitempty"`
}

// Prober is implemented by every source client so that `triage check` can
// probe them alike: readiness, version, and one call that needs auth.
type Prober interface {
	Name() string
	URL() string
	Ready(ctx context.Context) error
	BuildInfo(ctx context.Context) (BuildInfo, error)
	// AuthCheck makes a cheap call that the backend authorises like a real
	// query (labels, tags, status), so bad credentials show up here.
	AuthCheck(ctx context.Context) error
}
