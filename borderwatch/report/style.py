"""The report page's stylesheet, inlined into index.html (the page loads nothing)."""

CSS = """
:root{--ink:#1d2733;--muted:#6b7785;--line:#dde3ea;--bg:#f6f8fa;--accent:#2c5d8f}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK KR",sans-serif;
 color:var(--ink);background:var(--bg)}
header.top{background:#14212e;color:#fff;padding:22px 32px 16px}
header.top h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:.2px}
header.top .meta{color:#b8c4d0;font-size:13px}
nav{position:sticky;top:0;z-index:5;background:#1d2d3d;padding:8px 32px;display:flex;gap:20px;flex-wrap:wrap}
nav a{color:#dfe8f1;text-decoration:none;font-size:14px}
nav a:hover{color:#fff;text-decoration:underline}
main{max-width:1240px;margin:0 auto;padding:20px 32px 60px}
section{margin-top:34px}
h2{font-size:21px;margin:0 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:18px;margin:22px 0 8px}
a{color:var(--accent)}
.notice{background:#fff4d6;border:1px solid #f0c36d;border-left:5px solid #e0a526;padding:12px 16px;border-radius:6px;
 margin-top:18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:14px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px}
.card h3{margin:0 0 6px;font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted)}
.bars{max-width:100%;margin-top:6px}
.big{font-size:30px;font-weight:650;line-height:1.1}
.muted{color:var(--muted)}
.chip{display:inline-block;color:#fff;border-radius:11px;padding:1px 9px;font-size:12.5px;font-weight:600;
 white-space:nowrap}
.cls{display:inline-block;border:1.5px solid;border-radius:4px;padding:0 6px;font-size:12.5px;white-space:nowrap;
 background:#fff}
.claims .cls{white-space:normal}
.unit{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13.5px}
th,td{border-bottom:1px solid var(--line);padding:7px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600;position:sticky;top:38px;z-index:1}
tbody tr:nth-child(even){background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.date{white-space:nowrap}
table.claims{table-layout:fixed}
table.claims td.ev,table.claims .src{overflow-wrap:anywhere}
td.quote{max-width:380px}
.verdicts{display:flex;flex-wrap:wrap;align-items:center;gap:6px 18px;background:#fff;border:1px solid var(--line);
 border-radius:8px;padding:10px 14px;margin-bottom:8px;font-size:15px}
.verdicts .zero{opacity:.45}
table.claims tr.article td{background:#e4ebf2;border-top:2px solid #b9c6d3;font-size:13.5px;padding:8px}
table.claims tbody tr.claim:nth-child(odd){background:#fafbfc}
table.claims tbody tr.claim:nth-child(even){background:#fff}
.tally{margin-left:10px;white-space:nowrap}
.tally .chip{font-size:11px}
ul.evlinks{margin:4px 0 0;padding:0;list-style:none;text-align:left}
ul.evlinks li{font-size:12px;overflow-wrap:anywhere}
details.ev summary{font-size:12px;margin:3px 0 0}
details.ev .src{text-align:left}
.legend-box{margin:0 0 10px}
ul.legend{list-style:none;padding:0}
blockquote{margin:0;padding:0 0 0 10px;border-left:3px solid #cbd5df;font-style:italic}
.src{font-size:12px;color:var(--muted);margin-top:4px}
.reason{font-size:12.5px;color:#46525e;margin-top:3px}
.ev a{display:inline-block;margin:0 4px 3px 0;font-size:12px}
.area{background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 18px 16px;margin-top:20px}
.stats{display:flex;flex-wrap:wrap;gap:6px 22px;font-size:13.5px;color:var(--muted);margin-bottom:8px}
.stats b{color:var(--ink)}
img.fig{max-width:100%;height:auto;display:block;margin:8px 0;border:1px solid #eef0f2;border-radius:4px}
.thumbs{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:14px}
figure.thumb{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
figure.thumb img{max-width:100%;height:auto;display:block;border-radius:4px}
figure.thumb figcaption{font-size:12.5px;color:var(--muted);margin-top:6px;overflow-wrap:anywhere}
figure.thumb:target,article.failure:target{outline:3px solid #e0a526}
article.failure{background:#fff;border:1px solid #f1c4bf;border-left:5px solid #c0392b;border-radius:6px;
 padding:10px 14px;margin:10px 0}
article.failure h3{margin:0 0 4px;font-size:15px;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;background:#eef2f6;
 padding:1px 4px;border-radius:3px;word-break:break-all}
details summary{cursor:pointer;color:var(--accent);margin:6px 0}
ul.files li{margin:3px 0}
.legend{display:flex;flex-wrap:wrap;gap:8px 18px;font-size:13px;margin:8px 0 12px}
footer{max-width:1240px;margin:0 auto;padding:10px 32px 40px;color:var(--muted);font-size:12.5px}
@media print{nav{display:none}th{position:static}.area{break-inside:avoid}}
"""
