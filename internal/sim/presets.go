package sim

import (
	"fmt"
	"strings"
	"time"
)

// Preset is a named scenario the engine's accuracy is measured on. Each is
// pure Scenario parameters: its truth is recounted from the generated data.
type Preset struct {
	Name        string
	Description string // one line
	Scenario    Scenario
}

// Presets returns the named scenarios in a fixed order, the default first.
func Presets() []Preset {
	dbRegion := DefaultScenario()

	cacheTier := DefaultScenario()
	cacheTier.Name, cacheTier.Seed = "cache-tier", 43
	cacheTier.ErrorService, cacheTier.ErrorSegment = "", ""
	cacheTier.SlowService, cacheTier.SlowSegment = "session-cache", "user.tier=free"
	cacheTier.SlowBy, cacheTier.SlowRate = 1500*time.Millisecond, 0.7
	cacheTier.Planted = "k8s.node.name=node-5"

	consumer := DefaultScenario()
	consumer.Name, consumer.Seed = "consumer", 44
	consumer.ErrorService, consumer.ErrorSegment, consumer.ErrorRate = "notifications", "", 0.5
	consumer.SlowService = ""
	consumer.Planted = "service.version=1.5.0-rc.1"

	noise := DefaultScenario()
	noise.Name, noise.Seed = "noise", 45
	noise.ErrorService, noise.ErrorSegment, noise.ErrorRate = "inventory", "user.region=us-east", 0.3
	noise.SlowService = ""
	noise.NoiseService, noise.NoiseRate = "recommendations", 0.4
	noise.Planted = "k8s.node.name=node-3"

	batch := DefaultScenario()
	batch.Name, batch.Seed = "batch-consumer", 46
	batch.ErrorService, batch.ErrorSegment, batch.ErrorRate = "notifier", "", 1
	batch.FaultyPod, batch.BatchSize = true, 8
	batch.SlowService = ""
	batch.Planted = "service.version=2.4.0-rc.1"

	retry := DefaultScenario()
	retry.Name, retry.Seed = "retry", 47
	retry.ErrorService, retry.ErrorSegment, retry.ErrorRate = "payments", "", 1
	retry.FaultyPod, retry.Retries = true, 1
	retry.RPS, retry.IncidentAfter = 6, 3*time.Minute
	retry.SlowService = ""
	retry.Planted = "service.version=2.9.0"

	return []Preset{
		{"db-region", "uninstrumented ledger-db times out for eu-west users; slow inventory and noisy recommendations distract", dbRegion},
		{"cache-tier", "session-cache (redis) answers 1.5s late for free-tier users; no errors, a latency incident", cacheTier},
		{"consumer", "the notifications Kafka consumer fails behind checkout's order-events hop, on a canary version", consumer},
		{"noise", "recommendations errors dominate while inventory fails for us-east users", noise},
		{"batch-consumer", "a canary of the notifier, which consumes order-events in batches and knows no user, fails every message it renders", batch},
		{"retry", "a bad payments pod fails fast; checkout retries once on another pick, so most requests recover", retry},
	}
}

// PresetScenario returns the named preset's scenario.
func PresetScenario(name string) (Scenario, error) {
	var names []string
	for _, p := range Presets() {
		if p.Name == name {
			return p.Scenario, nil
		}
		names = append(names, p.Name)
	}
	return Scenario{}, fmt.Errorf("scenario %q: want one of %s", name, strings.Join(names, ", "))
}
