package distribution

import (
	"context"
	"sync"
	"sync/atomic"
)

// eachLayer runs do for layers 0..len(ids)-1, maxConcurrentLayers at a
// time, reporting "Waiting" for the ones queued behind them. After the
// first error no new layer starts; with cancelOnError the running ones are
// cancelled too (a push fails as a whole), otherwise they finish (a pull
// commits the layers it completed, so the next pull skips them). It returns
// the first error, or the context's.
func eachLayer(ctx context.Context, rep *reporter, ids []string, cancelOnError bool, do func(ctx context.Context, i int) error) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := maxConcurrentLayers; i < len(ids); i++ {
		rep.status(ids[i], "Waiting")
	}
	sem := make(chan struct{}, maxConcurrentLayers)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		failed   atomic.Bool
		firstErr error
	)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if failed.Load() {
				return
			}
			if err := do(ctx, i); err != nil {
				once.Do(func() {
					firstErr = err
					failed.Store(true)
					if cancelOnError {
						cancel()
					}
				})
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return parent.Err()
}
