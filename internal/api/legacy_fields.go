// Fields that older API versions carried and the moby types berth builds
// on no longer have. dockerd still sends them to clients that ask for those
// versions (its image router adds them back per version); so does berth,
// so that an old client's template such as {{.VirtualSize}} or {{.Parent}}
// prints what dockerd would print instead of "<no value>".

package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
)

// withDefaults returns v's JSON object with the members of defaults that v
// lacks. A default that is itself an object is merged into v's object of
// that name the same way, so that only absent members are added. Members
// come out in key order, as from dockerd's own compat wrapper (a map too).
func withDefaults(v any, defaults map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // sizes and times stay exact
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	fillDefaults(obj, defaults)
	return obj, nil
}

func fillDefaults(obj, defaults map[string]any) {
	for k, d := range defaults {
		cur, present := obj[k]
		sub, isObj := d.(map[string]any)
		switch {
		case !present:
			obj[k] = d
		case isObj:
			if curObj, ok := cur.(map[string]any); ok {
				fillDefaults(curObj, sub)
			}
		}
	}
}

// legacyConfig is an image config as API 1.49 and older printed it: every
// member present, empty ones too.
func legacyConfig() map[string]any {
	return map[string]any{
		"AttachStderr": false, "AttachStdin": false, "AttachStdout": false,
		"Cmd": nil, "Domainname": "", "Entrypoint": nil, "Env": nil, "Hostname": "",
		"Image": "", "Labels": nil, "OnBuild": nil, "OpenStdin": false, "StdinOnce": false,
		"Tty": false, "User": "", "Volumes": nil, "WorkingDir": "",
	}
}

// imageInspectJSON is GET /images/{name}/json's body for the request's
// version. berth keeps no parent chain and no docker version (as for images
// BuildKit builds; COMPATIBILITY.md), so Parent and DockerVersion are empty.
func imageInspectJSON(r *http.Request, img *image.InspectResponse) (any, error) {
	if img.RepoTags == nil {
		img.RepoTags = []string{}
	}
	if img.RepoDigests == nil {
		img.RepoDigests = []string{}
	}
	if versionAtLeast(r, "1.52") {
		return img, nil
	}
	if !versionAtLeast(r, "1.48") {
		img.Descriptor = nil
	}
	defaults := map[string]any{"Parent": "", "Comment": "", "DockerVersion": "", "Author": ""}
	if versionAtLeast(r, "1.50") {
		// 1.50 and 1.51 printed these config members even when empty.
		defaults["Config"] = map[string]any{
			"Cmd": nil, "Entrypoint": nil, "Env": nil, "Labels": nil, "OnBuild": nil,
			"User": "", "Volumes": nil, "WorkingDir": "",
		}
	} else {
		defaults["Config"] = legacyConfig()
	}
	if !versionAtLeast(r, "1.45") {
		defaults["Container"] = ""
		defaults["ContainerConfig"] = legacyConfig()
	}
	if !versionAtLeast(r, "1.44") {
		defaults["VirtualSize"] = img.Size
		if img.Created == "" {
			img.Created = "0001-01-01T00:00:00Z"
		}
	}
	return withDefaults(img, defaults)
}

// imageListJSON is GET /images/json's body for the request's version.
func imageListJSON(r *http.Request, list []image.Summary) (any, error) {
	if list == nil {
		list = []image.Summary{}
	}
	for i := range list {
		img := &list[i]
		if !versionAtLeast(r, "1.43") && len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
			img.RepoTags = []string{"<none>:<none>"}
			img.RepoDigests = []string{"<none>@<none>"}
		}
		if img.RepoTags == nil {
			img.RepoTags = []string{}
		}
		if img.RepoDigests == nil {
			img.RepoDigests = []string{}
		}
		if !versionAtLeast(r, "1.48") {
			img.Descriptor = nil
		}
		if !versionAtLeast(r, "1.51") {
			img.Containers = -1 // counted only by /system/df before 1.51
		}
	}
	if versionAtLeast(r, "1.44") {
		return list, nil
	}
	out := make([]map[string]any, len(list))
	for i := range list {
		obj, err := withDefaults(&list[i], map[string]any{"VirtualSize": list[i].Size})
		if err != nil {
			return nil, err
		}
		out[i] = obj
	}
	return out, nil
}

// containerInspectJSON is GET /containers/{name}/json's body for the
// request's version. Before 1.52 NetworkSettings also carried the default
// bridge's endpoint at its top level (the docker CLI 28 asks for 1.50, and
// `docker inspect -f '{{.NetworkSettings.IPAddress}}'` reads it from there).
func containerInspectJSON(r *http.Request, c *container.InspectResponse) (any, error) {
	if versionAtLeast(r, "1.52") {
		return c, nil
	}
	if !versionAtLeast(r, "1.48") {
		c.ImageManifestDescriptor = nil
	}
	if !versionAtLeast(r, "1.45") && c.NetworkSettings != nil && c.Config != nil {
		// Before 1.45 a user network's aliases listed the short ID and
		// the hostname too.
		for name, ep := range c.NetworkSettings.Networks {
			if ep == nil || name == network.NetworkBridge || name == network.NetworkHost || name == network.NetworkNone {
				continue
			}
			ep.Aliases = slices.Clip(ep.Aliases) // appends below copy: the slice may be the store's
			for _, a := range []string{c.ID[:min(12, len(c.ID))], c.Config.Hostname} {
				if a != "" && !slices.Contains(ep.Aliases, a) {
					ep.Aliases = append(ep.Aliases, a)
				}
			}
		}
	}
	ns := map[string]any{
		"Bridge": "", "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
		"SecondaryIPAddresses": nil, "SecondaryIPv6Addresses": nil,
		"EndpointID": "", "Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
		"IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "", "MacAddress": "",
	}
	if c.NetworkSettings != nil {
		if ep := c.NetworkSettings.Networks[network.NetworkBridge]; ep != nil {
			ns["EndpointID"] = ep.EndpointID
			ns["Gateway"] = ep.Gateway
			ns["GlobalIPv6Address"] = ep.GlobalIPv6Address
			ns["GlobalIPv6PrefixLen"] = ep.GlobalIPv6PrefixLen
			ns["IPAddress"] = ep.IPAddress
			ns["IPPrefixLen"] = ep.IPPrefixLen
			ns["IPv6Gateway"] = ep.IPv6Gateway
			ns["MacAddress"] = ep.MacAddress
		}
	}
	return withDefaults(c, map[string]any{"NetworkSettings": ns, "Config": map[string]any{"OnBuild": nil}})
}

// eventJSON is one /events record for the request's version. Before 1.52
// container and image events also carried the pre-1.22 "status", "id" and
// "from" members, which docker CLIs before 25 and compose still read.
func eventJSON(r *http.Request, ev events.Message) (any, error) {
	if versionAtLeast(r, "1.52") {
		return ev, nil
	}
	switch ev.Type {
	case events.ContainerEventType:
		return withDefaults(ev, map[string]any{"status": ev.Action, "id": ev.Actor.ID, "from": ev.Actor.Attributes["image"]})
	case events.ImageEventType:
		return withDefaults(ev, map[string]any{"status": ev.Action, "id": ev.Actor.ID})
	}
	return ev, nil
}
