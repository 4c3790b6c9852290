// The signup page: the invited user sees the QR code of their TOTP secret,
// chooses a password and confirms with a code from the authenticator app.
// Everything goes through the JSON API; no data is put into the page by the
// server, so nothing user-controlled is ever interpolated into HTML.
#include "actors/proxy/web_routes.hpp"

namespace tp::actors {

const std::string& signup_page() {
  static const std::string page = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Teleport: create your account</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:sans-serif;max-width:28em;margin:3em auto;padding:0 1em;color:#222}
label{display:block;margin-top:1em}input{width:100%;padding:.5em;box-sizing:border-box}
button{margin-top:1.5em;padding:.6em 1.2em}#msg{margin-top:1em;font-weight:bold}
img{image-rendering:pixelated;width:200px;height:200px}
</style></head><body>
<h1>Create your Teleport account</h1>
<div id="form" hidden>
<p>User: <b id="user"></b></p>
<p>Scan this QR code with your authenticator app (Google Authenticator, FreeOTP, ...):</p>
<img id="qr" alt="TOTP QR code"><p><small id="uri"></small></p>
<label>Password <input type="password" id="pass" autocomplete="new-password"></label>
<label>Confirm password <input type="password" id="pass2" autocomplete="new-password"></label>
<label>Code from the app <input id="otp" inputmode="numeric" autocomplete="one-time-code"></label>
<button id="go">Create account</button>
</div>
<div id="msg"></div>
<script>
const token = decodeURIComponent(location.pathname.split('/').pop());
const msg = t => { document.getElementById('msg').textContent = t; };
fetch('/v1/webapi/users/invites/' + encodeURIComponent(token)).then(r => r.json().then(j => [r, j]))
  .then(([r, j]) => {
    if (!r.ok) { msg(j.error ? j.error.message : 'invalid link'); return; }
    document.getElementById('user').textContent = j.user;
    document.getElementById('qr').src = 'data:image/png;base64,' + j.qr_code;
    document.getElementById('uri').textContent = j.otp_uri;
    document.getElementById('form').hidden = false;
  }).catch(() => msg('cannot reach the proxy'));
document.getElementById('go').onclick = () => {
  const pass = document.getElementById('pass').value;
  if (pass !== document.getElementById('pass2').value) { msg('the passwords differ'); return; }
  fetch('/v1/webapi/users', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({invite_token: token, pass: pass,
                          second_factor_token: document.getElementById('otp').value})})
    .then(r => r.json().then(j => [r, j]))
    .then(([r, j]) => {
      if (r.ok) { document.getElementById('form').hidden = true;
                  msg('Account ' + j.user + ' created. Log in with: tsh login --user=' + j.user); }
      else msg(j.error ? j.error.message : 'signup failed');
    }).catch(() => msg('cannot reach the proxy'));
};
</script></body></html>
)HTML";
  return page;
}

}  // namespace tp::actors
