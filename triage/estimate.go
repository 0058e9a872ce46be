package triage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// EstimateUsers scales the users seen in the sampled failing traces to all
// failing requests in the window.
//
// Users are not requests: a busy user fails many times, so the distinct
// users in a sample do not scale linearly with it. The sample is read as n
// draws from the failing requests, and the number of distinct users among
// all N of them is extrapolated the way species richness is: each user's
// failures are Poisson with a gamma-distributed rate across users, fitted
// to how many users were seen once, twice, ... (maximum likelihood on the
// zero-truncated negative binomial). The expected number of users with at
// least one failure among N requests follows. On the simulator this beats
// Chao's extrapolation, which leans low when activity is skewed.
//
// The interval is a 95% parametric-bootstrap prediction interval: draw
// populations from the fitted model, sample them, re-estimate, and take the
// spread of the estimate's error against each drawn population's truth.
// Because that trusts the model, it is widened to reach Chao's extrapolation
// (Chao et al. 2014), which assumes less and leans low. It never goes below
// the users seen nor above the requests.
//
// users are RankUsers' output (users with failed traces count); sampledFailing
// is the number of failing traces sampled, with or without a user;
// totalFailing is the number of failing requests in the window, from
// metrics, and source names where it came from. It returns nil when the total
// is unknown or the sample holds no user to scale from.
func EstimateUsers(users []UserImpact, sampledFailing int, totalFailing *float64, source string) *Estimate {
	return estimateUsers(users, failedCount, requestWords("failing", source), sampledFailing, totalFailing)
}

// EstimateSlowUsers is EstimateUsers for a latency incident: the users of
// the sampled slow traces, scaled to the slow requests in the window.
func EstimateSlowUsers(users []UserImpact, sampledSlow int, totalSlow *float64, source string) *Estimate {
	return estimateUsers(users, slowCount, requestWords("slow", source), sampledSlow, totalSlow)
}

func failedCount(u *UserImpact) int { return u.Failed }
func slowCount(u *UserImpact) int   { return u.Slow }

// sampleWords say what the estimate counts, for its basis and method.
type sampleWords struct {
	none    string                              // "no failing requests (Prometheus)"
	of      func(n int, total float64) string   // "86 of ≈89 failing requests"
	counted string                              // "failing requests counted by Prometheus"
	every   string                              // "every failing request sampled"
	scale   func(total float64) (float64, bool) // the total the sample is of
}

func requestWords(what, source string) sampleWords {
	return sampleWords{
		none: "no " + what + " requests (" + source + ")",
		of: func(n int, t float64) string {
			return Thousands(float64(n)) + " of ≈" + Thousands(t) + " " + what + " requests"
		},
		counted: what + " requests counted by " + source,
		every:   "every " + what + " request sampled",
		scale:   func(t float64) (float64, bool) { return t, true },
	}
}

func estimateUsers(users []UserImpact, count func(*UserImpact) int, words sampleWords, sampled int, totalp *float64) *Estimate {
	if totalp == nil || math.IsNaN(*totalp) || math.IsInf(*totalp, 0) {
		return nil
	}
	var mult []int
	n := 0
	for k := range users {
		if f := count(&users[k]); f > 0 {
			mult = append(mult, f)
			n += f
		}
	}
	counted := max(*totalp, 0)
	if counted < 0.5 {
		return &Estimate{Basis: words.none}
	}
	total, ok := words.scale(counted)
	if !ok {
		return nil
	}
	if len(mult) == 0 || sampled <= 0 {
		return nil
	}
	// Requests without a user cannot add users: scale only the share that
	// carried one in the sample.
	withUser := total * math.Min(float64(n)/float64(max(sampled, n)), 1)
	withUser = max(withUser, float64(n))
	seen := float64(len(mult))
	est := &Estimate{Value: seen, Low: seen, High: seen}
	method := words.every
	extrapolated := false
	if withUser > float64(n)+0.5 {
		freq := frequencies(mult)
		fit := fitGammaPoisson(freq, n)
		t := withUser / float64(n)
		est.Value = fit.distinct(seen, t)
		est.Low, est.High = fit.interval(freq, n, t, est.Value)
		// The fitted model runs high when a few users make most requests
		// (cache-tier latency: +14%); Chao's extrapolation assumes less
		// about how activity is spread and leans low (a lower bound). Their
		// midpoint was within ±6% on every simulated scenario. Chao needs
		// users seen twice: without any, the fit stands alone. The interval
		// reaches both.
		chao := chaoExtrapolate(freq, n, withUser)
		est.Low, est.High = math.Min(est.Low, chao), math.Max(est.High, chao)
		method = "species-richness extrapolation (negative-binomial fit, range to Chao1)"
		if len(freq) > 2 && freq[2] > 0 {
			est.Value = (est.Value + chao) / 2
			method = "species-richness extrapolation (negative-binomial fit and Chao1, their midpoint; the range spans both)"
		}
		extrapolated = true
	}
	est.Value = math.Min(math.Max(math.Round(est.Value), seen), math.Ceil(withUser))
	est.Low = math.Min(math.Max(math.Floor(est.Low), seen), est.Value)
	est.High = math.Max(math.Min(math.Ceil(est.High), math.Ceil(withUser)), est.Value)
	// The basis is what a reader weighs the figure by, in plain words; the
	// method is one step further, for whoever asks how.
	est.Basis = Thousands(seen) + " users seen in " + words.of(sampled, total)
	if extrapolated {
		est.Basis += fmt.Sprintf("; ≈%s in all, 95%% range %s–%s", Thousands(est.Value), Thousands(est.Low), Thousands(est.High))
	} else {
		est.Basis += "; every one sampled"
	}
	est.Method = words.counted + "; " + method
	return est
}

// maxMultiplicity bounds the per-user counts the fit distinguishes: past
// it a user is simply "seen very often", which says nothing more about the
// users not seen, and the frequency table stays small.
const maxMultiplicity = 4096

// frequencies turns per-user counts into f[k]: the users seen k times.
func frequencies(mult []int) []int {
	top := 0
	for _, m := range mult {
		top = max(top, min(m, maxMultiplicity))
	}
	f := make([]int, top+1)
	for _, m := range mult {
		f[min(m, maxMultiplicity)]++
	}
	return f
}

// chaoExtrapolate is the expected number of distinct users among
// requests total (Chao et al. 2014, eq. 9, with N = total): S_obs + f0 [1 -
// (1 - f1/(n f0 + f1))^(N-n)], f0 being the Chao1 estimate of the users the
// sample missed.
func chaoExtrapolate(f []int, n int, total float64) float64 {
	seen, f1, f2 := 0, 0.0, 0.0
	for _, c := range f[1:] {
		seen += c
	}
	if len(f) > 1 {
		f1 = float64(f[1])
	}
	if len(f) > 2 {
		f2 = float64(f[2])
	}
	nf := float64(n)
	var f0 float64
	switch {
	case f1 == 0 || nf < 1:
		return float64(seen)
	case f2 > 0:
		f0 = (nf - 1) / nf * f1 * f1 / (2 * f2)
	default:
		f0 = (nf - 1) / nf * f1 * (f1 - 1) / 2
	}
	if f0 <= 0 {
		return float64(seen)
	}
	return float64(seen) + f0*(1-math.Pow(1-f1/(nf*f0+f1), math.Max(total-nf, 0)))
}

// gammaPoisson is a fitted abundance model: a user's count in the sample
// is Poisson with a rate drawn from Gamma(shape k, scale theta).
type gammaPoisson struct {
	k, theta   float64
	singletons bool // every user seen once: no curvature to fit
}

// p0 is the chance a user has no request among t times the sample.
func (g gammaPoisson) p0(t float64) float64 { return math.Exp(-g.k * math.Log1p(t*g.theta)) }

// distinct is the expected number of users among t times the sample, given
// seen users in the sample.
func (g gammaPoisson) distinct(seen, t float64) float64 {
	if g.singletons {
		return seen * t
	}
	return seen * -math.Expm1(-g.k*math.Log1p(t*g.theta)) / -math.Expm1(-g.k*math.Log1p(g.theta))
}

const (
	minLogShape, maxLogShape = -7.0, 7.0
)

// fitGammaPoisson maximises the zero-truncated negative-binomial likelihood
// of f. For a given shape the scale follows from the mean, so the search is
// over the shape alone: a coarse scan, then golden-section refinement.
func fitGammaPoisson(f []int, n int) gammaPoisson {
	seen := 0
	for _, c := range f[1:] {
		seen += c
	}
	mean := float64(n) / float64(max(seen, 1))
	if mean <= 1+1e-9 {
		return gammaPoisson{singletons: true}
	}
	ll := func(logK float64) float64 {
		k := math.Exp(logK)
		return nbLogLik(f, k, scaleFor(mean, k))
	}
	best, bestLL := minLogShape, math.Inf(-1)
	const step = 1.0
	for x := minLogShape; x <= maxLogShape; x += step {
		if v := ll(x); v > bestLL {
			best, bestLL = x, v
		}
	}
	lo, hi := math.Max(best-step, minLogShape), math.Min(best+step, maxLogShape)
	const phi = 0.6180339887498949
	a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
	fa, fb := ll(a), ll(b)
	for range 25 {
		if fa > fb {
			hi, b, fb = b, a, fa
			a = hi - phi*(hi-lo)
			fa = ll(a)
		} else {
			lo, a, fa = a, b, fb
			b = lo + phi*(hi-lo)
			fb = ll(b)
		}
	}
	k := math.Exp((lo + hi) / 2)
	return gammaPoisson{k: k, theta: scaleFor(mean, k)}
}

// scaleFor solves mean = k·theta / (1 - (1+theta)^-k), the zero-truncated
// mean, for theta; the left side grows with theta.
func scaleFor(mean, k float64) float64 {
	lo, hi := -30.0, 30.0 // log theta
	for range 42 {
		mid := (lo + hi) / 2
		th := math.Exp(mid)
		if k*th/-math.Expm1(-k*math.Log1p(th)) < mean {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Exp((lo + hi) / 2)
}

func nbLogLik(f []int, k, theta float64) float64 {
	lgK, _ := math.Lgamma(k)
	l1p := math.Log1p(theta)
	trunc := math.Log(-math.Expm1(-k * l1p))
	logOdds := math.Log(theta) - l1p
	ll := 0.0
	for x, c := range f {
		if x == 0 || c == 0 {
			continue
		}
		a, _ := math.Lgamma(float64(x) + k)
		b, _ := math.Lgamma(float64(x) + 1)
		ll += float64(c) * (a - lgK - b - k*l1p + float64(x)*logOdds - trunc)
	}
	return ll
}

// interval draws populations from the fitted model, samples n requests'
// worth from each, re-estimates, and returns est minus the 97.5th and 2.5th
// percentiles of the error. The random source is seeded from the sample so
// a report is reproducible.
func (g gammaPoisson) interval(f []int, n int, t, est float64) (lo, hi float64) {
	seen := 0
	for _, c := range f[1:] {
		seen += c
	}
	if g.singletons {
		// No repeat tells how many users there are: anything from the users
		// seen to one per request.
		return float64(seen), est
	}
	p0, p0t := g.p0(1), g.p0(t)
	pop := int(math.Round(float64(seen) / (1 - p0)))
	// A user unseen in the sample turns up among the rest with this chance.
	later := 1 - p0t/p0
	seed := uint64(n)
	for k, c := range f {
		seed = seed*1_000_003 + uint64(k)*7919 + uint64(c)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7573657273))
	const rounds = 100
	errs := make([]float64, 0, rounds)
	var mult []int
	for range rounds {
		inSample := binomialDraw(rng, pop, 1-p0)
		if inSample == 0 {
			continue
		}
		mult = mult[:0]
		sampled := 0
		for range inSample {
			x := g.truncatedDraw(rng, p0)
			mult = append(mult, x)
			sampled += x
		}
		truth := inSample + binomialDraw(rng, pop-inSample, later)
		b := fitGammaPoisson(frequencies(mult), sampled)
		errs = append(errs, b.distinct(float64(inSample), t)-float64(truth))
	}
	if len(errs) == 0 {
		return float64(seen), est
	}
	slices.Sort(errs)
	q := func(p float64) float64 { return errs[min(int(p*float64(len(errs))), len(errs)-1)] }
	return est - q(0.975), est - q(0.025)
}

// truncatedDraw draws a user's count given it is at least one, inverting
// the negative binomial's distribution function.
func (g gammaPoisson) truncatedDraw(rng *rand.Rand, p0 float64) int {
	u := p0 + rng.Float64()*(1-p0)
	ratio := g.theta / (1 + g.theta)
	p := p0 * g.k * ratio // P(1)
	cum := p0 + p
	x := 1
	for cum < u && x < maxMultiplicity {
		p *= (float64(x) + g.k) / float64(x+1) * ratio
		cum += p
		x++
		if p <= 0 {
			break
		}
	}
	return x
}

// binomialDraw draws a Binomial(n, p) count; a rounded normal stands in
// for large n, close enough for an interval.
func binomialDraw(rng *rand.Rand, n int, p float64) int {
	if n <= 0 || p <= 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	if v := float64(n) * p * (1 - p); v > 25 {
		return min(max(int(math.Round(float64(n)*p+math.Sqrt(v)*rng.NormFloat64())), 0), n)
	}
	if n > 2000 {
		// Small p over many trials: Poisson with the same mean.
		return min(poissonDraw(rng, float64(n)*p), n)
	}
	c := 0
	for range n {
		if rng.Float64() < p {
			c++
		}
	}
	return c
}

// poissonDraw draws a Poisson count; past a mean of 30 a rounded normal is
// close enough for counting who was seen.
func poissonDraw(rng *rand.Rand, mean float64) int {
	if mean >= 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	limit, p, k := math.Exp(-mean), rng.Float64(), 0
	for p > limit {
		p *= rng.Float64()
		k++
	}
	return k
}

// Thousands renders a count with thousands separators: 3100 → "3,100".
func Thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
