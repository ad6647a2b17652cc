/**
 * The console's sign-in page: server-rendered, no script (it works without JavaScript), and
 * accessible (a language, a title, a main landmark, a labelled password field, the error
 * announced). Its small stylesheet is served beside it (/ui/signin.css): the console's
 * Content-Security-Policy allows no inline style or script.
 */

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function signinPage(error?: string, next?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Falco Talon console</title>
<link rel="stylesheet" href="/ui/signin.css">
</head>
<body>
<main>
<h1>Falco Talon console</h1>
<form method="post" action="/ui/signin">
${next ? `<input type="hidden" name="next" value="${escapeHtml(next)}">\n` : ""}
<p>This console needs the engine's token (<code>auth.token</code> or <code>auth.token_file</code>).</p>
${error ? `<p role="alert" class="error" id="signin-error">${escapeHtml(error)}</p>\n` : ""}<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus${error ? ' aria-invalid="true" aria-describedby="signin-error"' : ""}>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}

export const SIGNIN_CSS = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1a1a1a;margin:0}
main{max-width:24rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #767676;border-radius:4px}
button{margin-top:1rem;padding:.5rem 1.25rem;font-size:1rem;background:#00507a;color:#fff;border:0;border-radius:4px;cursor:pointer}
button:focus,input:focus{outline:3px solid #ffbf47;outline-offset:1px}
.error{color:#a4000f;font-weight:600}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}main{background:#1e1e1e}input{background:#111;color:#eee;border-color:#999}.error{color:#ff8a8a}}
`;
