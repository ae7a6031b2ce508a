// regload is a load generator for OCI registries: N workers each push a fresh random blob
// (POST an upload session, PUT the body with ?digest=) and pull it back (GET), over and
// over, on keep-alive connections. It prints one JSON line: requests, errors, seconds, rps.
//
//	go run ./bench/regload -url http://127.0.0.1:5000 -workers 8 -size 1048576 -duration 10s
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

type result struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	Pushes   int64   `json:"pushes"`
	Pulls    int64   `json:"pulls"`
	FirstErr string  `json:"first_error,omitempty"`
}

func main() {
	base := flag.String("url", "http://127.0.0.1:5000", "registry base URL")
	workers := flag.Int("workers", 8, "concurrent workers")
	size := flag.Int("size", 1<<20, "blob size in bytes")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	repo := flag.String("repo", "load/test", "repository to push to")
	flag.Parse()

	tr := &http.Transport{MaxIdleConnsPerHost: *workers * 2, DisableCompression: true}
	client := &http.Client{Transport: tr}
	var reqs, errs, pushes, pulls atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	deadline := time.Now().Add(*duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			blob := make([]byte, *size)
			if _, err := rand.Read(blob); err != nil {
				fail(err)
				return
			}
			for i := uint64(0); time.Now().Before(deadline); i++ {
				// A fresh blob each round: the first 16 bytes carry worker and counter.
				binary.LittleEndian.PutUint64(blob[0:], uint64(w))
				binary.LittleEndian.PutUint64(blob[8:], i)
				sum := sha256.Sum256(blob)
				dig := "sha256:" + hex.EncodeToString(sum[:])
				if err := push(client, *base, *repo, dig, blob, &reqs); err != nil {
					fail(err)
					continue
				}
				pushes.Add(1)
				if err := pull(client, *base, *repo, dig, len(blob), &reqs); err != nil {
					fail(err)
					continue
				}
				pulls.Add(1)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	res := result{Requests: reqs.Load(), Errors: errs.Load(), Seconds: secs, RPS: float64(reqs.Load()) / secs,
		Pushes: pushes.Load(), Pulls: pulls.Load()}
	if v, ok := firstErr.Load().(string); ok {
		res.FirstErr = v
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
	if res.Errors > 0 {
		os.Exit(1)
	}
}

func push(c *http.Client, base, repo, dig string, blob []byte, reqs *atomic.Int64) error {
	resp, err := c.Post(base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		return err
	}
	drain(resp)
	reqs.Add(1)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST upload: %s", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	u, _ := url.Parse(base)
	target := u.ResolveReference(loc)
	q := target.Query()
	q.Set("digest", dig)
	target.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodPut, target.String(), bytes.NewReader(blob))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = c.Do(req)
	if err != nil {
		return err
	}
	drain(resp)
	reqs.Add(1)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("PUT upload: %s", resp.Status)
	}
	return nil
}

func pull(c *http.Client, base, repo, dig string, size int, reqs *atomic.Int64) error {
	resp, err := c.Get(base + "/v2/" + repo + "/blobs/" + dig)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	reqs.Add(1)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || n != int64(size) {
		return fmt.Errorf("GET blob: %s, %d bytes", resp.Status, n)
	}
	return nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
