package shimproto

import (
	"errors"
	"strconv"
	"strings"
)

// The shim reads its Config as `key=value` lines (values Go-quoted) rather
// than JSON so that it links neither encoding/json nor reflection.

// MarshalConfig encodes c as `key=value` lines; RuntimeArgs repeat their key.
func MarshalConfig(c Config) []byte {
	var b []byte
	str := func(k, v string) {
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendQuote(b, v)
		b = append(b, '\n')
	}
	num := func(k string, v int64) {
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, '\n')
	}
	flag := func(k string, v bool) {
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendBool(b, v)
		b = append(b, '\n')
	}
	str("id", c.ID)
	str("bundle", c.Bundle)
	str("runtime", c.Runtime)
	str("runtime_root", c.RuntimeRoot)
	for _, a := range c.RuntimeArgs {
		str("runtime_arg", a)
	}
	if c.RuntimeFD > 0 {
		num("runtime_fd", int64(c.RuntimeFD))
		str("runtime_exe", c.RuntimeExe)
	}
	flag("tty", c.Tty)
	flag("open_stdin", c.OpenStdin)
	flag("stdin_once", c.StdinOnce)
	str("log_driver", c.LogDriver)
	str("log_path", c.LogPath)
	num("log_max_size", c.LogMaxSize)
	num("log_max_file", int64(c.LogMaxFile))
	str("cgroup_memory_dir", c.CgroupMemoryDir)
	return b
}

// ParseConfig decodes what MarshalConfig wrote. Unknown keys are errors:
// the daemon and the shim are built together.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Config{}, errors.New("shim config: bad line " + strconv.Quote(line))
		}
		var err error
		str := func(dst *string) { *dst, err = strconv.Unquote(v) }
		flag := func(dst *bool) { *dst, err = strconv.ParseBool(v) }
		switch k {
		case "id":
			str(&c.ID)
		case "bundle":
			str(&c.Bundle)
		case "runtime":
			str(&c.Runtime)
		case "runtime_root":
			str(&c.RuntimeRoot)
		case "runtime_arg":
			var a string
			str(&a)
			c.RuntimeArgs = append(c.RuntimeArgs, a)
		case "runtime_fd":
			c.RuntimeFD, err = strconv.Atoi(v)
		case "runtime_exe":
			str(&c.RuntimeExe)
		case "tty":
			flag(&c.Tty)
		case "open_stdin":
			flag(&c.OpenStdin)
		case "stdin_once":
			flag(&c.StdinOnce)
		case "log_driver":
			str(&c.LogDriver)
		case "log_path":
			str(&c.LogPath)
		case "log_max_size":
			c.LogMaxSize, err = strconv.ParseInt(v, 10, 64)
		case "log_max_file":
			c.LogMaxFile, err = strconv.Atoi(v)
		case "cgroup_memory_dir":
			str(&c.CgroupMemoryDir)
		default:
			return Config{}, errors.New("shim config: unknown key " + strconv.Quote(k))
		}
		if err != nil {
			return Config{}, errors.New("shim config: " + k + ": " + err.Error())
		}
	}
	return c, nil
}
