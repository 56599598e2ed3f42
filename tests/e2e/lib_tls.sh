# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The TLS side of tests/e2e/fakekube.py, for the agent's e2e tests
# (through lib_agent.sh) and bench/scale.sh. Needs WORK (where the files
# go), KURL (the fake API server's https URL on 127.0.0.1) and FK_TOKEN
# (the bearer token it accepts).

# make_tls: a certificate for 127.0.0.1 ($WORK/cert.pem, key.pem) and
# $WORK/kubeconfig pointing at KURL with our token.
make_tls() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" \
		-out "$WORK/cert.pem" >/dev/null 2>&1 || return 1
	cat >"$WORK/kubeconfig" <<-EOT
	apiVersion: v1
	kind: Config
	current-context: test
	clusters:
	- name: fake
	  cluster:
	    server: $KURL
	    certificate-authority-data: $(base64 -w0 "$WORK/cert.pem")
	users:
	- name: agent
	  user:
	    token: $FK_TOKEN
	contexts:
	- name: test
	  context: {cluster: fake, user: agent, namespace: default}
	EOT
}
