// The DynamoDB the tests start: dynalite (in memory) on a loopback port, behind a
// front that does what dynalite does not and the tests need:
//   * checks each request's AWS Signature Version 4 against the keys it was given
//     (unknown key: UnrecognizedClientException; wrong secret:
//     InvalidSignatureException), as DynamoDB does;
//   * keys listed as denied get AccessDeniedException for every operation;
//   * POST /__throttle {"count": N} makes the next N requests answer
//     ProvisionedThroughputExceededException (retry tests).
//
//   node server.js <state file> [ACCESS_KEY:SECRET[:deny]]...
//
// Writes "url=http://127.0.0.1:<port>" and "pid=<pid>" to the state file once it
// serves; stops on SIGTERM or SIGINT.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const dynalite = require('dynalite');

const [stateFile, ...keySpecs] = process.argv.slice(2);
if (!stateFile) {
  console.error('usage: server.js <state file> [ACCESS_KEY:SECRET[:deny]]...');
  process.exit(2);
}
const keys = new Map();
for (const spec of keySpecs) {
  const [id, secret, deny] = spec.split(':');
  keys.set(id, { secret, deny: deny === 'deny' });
}
let throttle = 0;

const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();
const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

function fail(res, status, type, message) {
  const body = JSON.stringify({ __type: 'com.amazon.coral.service#' + type, message });
  res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' });
  res.end(body);
}

// The signature the request should carry, from the headers it says it signed.
function expectedSignature(req, body, auth, secret) {
  const signed = /SignedHeaders=([^,]+)/.exec(auth)[1].split(';');
  const scope = /Credential=[^/]+\/([^,]+)/.exec(auth)[1];
  const [date, region, service] = scope.split('/');
  const amzDate = req.headers['x-amz-date'];
  const url = new URL(req.url, 'http://x');
  const query = [...url.searchParams].sort().map(([k, v]) => k + '=' + v).join('&');
  const canonical = [
    req.method, url.pathname, query,
    signed.map((h) => h + ':' + String(req.headers[h] || '').trim().replace(/\s+/g, ' ')).join('\n') + '\n',
    signed.join(';'), sha256(body),
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let k = hmac('AWS4' + secret, date);
  k = hmac(k, region);
  k = hmac(k, service);
  k = hmac(k, 'aws4_request');
  return hmac(k, toSign).toString('hex');
}

function check(req, body, res) {
  const auth = req.headers.authorization || '';
  const id = /Credential=([^/]+)\//.exec(auth);
  const sig = /Signature=([0-9a-f]+)/.exec(auth);
  if (!id || !sig || !/SignedHeaders=/.test(auth)) {
    fail(res, 400, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
    return false;
  }
  const key = keys.get(id[1]);
  if (!key) {
    fail(res, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    return false;
  }
  const want = expectedSignature(req, body, auth, key.secret);
  if (!crypto.timingSafeEqual(Buffer.from(want), Buffer.from(sig[1].padEnd(want.length).slice(0, want.length)))) {
    fail(res, 400, 'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.');
    return false;
  }
  if (key.deny) {
    const op = String(req.headers['x-amz-target'] || '').split('.').pop();
    fail(res, 400, 'AccessDeniedException', 'User: ' + id[1] + ' is not authorized to perform: dynamodb:' + op);
    return false;
  }
  return true;
}

const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
backend.listen(0, '127.0.0.1', () => {
  const backendPort = backend.address().port;
  const front = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/__throttle') {
        throttle = JSON.parse(body.toString() || '{}').count || 0;
        res.end('{}');
        return;
      }
      if (keys.size > 0 && !check(req, body, res)) return;
      if (throttle > 0) {
        throttle -= 1;
        fail(res, 400, 'ProvisionedThroughputExceededException',
          'The level of configured provisioned throughput for the table was exceeded.');
        return;
      }
      const headers = { ...req.headers, 'content-length': body.length };
      const up = http.request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers },
        (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
      up.on('error', (e) => fail(res, 500, 'InternalServerError', String(e)));
      up.end(body);
    });
  });
  front.keepAliveTimeout = 60000;
  front.listen(0, '127.0.0.1', () => {
    const tmp = stateFile + '.tmp';
    fs.writeFileSync(tmp, 'url=http://127.0.0.1:' + front.address().port + '\npid=' + process.pid + '\n');
    fs.renameSync(tmp, stateFile);
  });
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
