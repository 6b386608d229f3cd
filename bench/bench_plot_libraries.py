"""Compare plotting libraries for `arxiv-kg report`: the same five figures (bars, ten lines,
a log-log scatter, a 100-node network, a 20x20 heat map) made by each as an offline HTML
fragment. Prints the size, the time (imports included) and whether two fresh processes give
byte-identical output, and whether the result needs scripts to show anything.

    pip install matplotlib altair vl-convert-python plotly   # those missing are skipped
    python bench/bench_plot_libraries.py
"""
from __future__ import annotations

import hashlib
import io
import random
import subprocess
import sys
import time


def data():
    rng = random.Random(0)
    years = list(range(1995, 2026))
    return {
        "years": years,
        "bars": [int(50 * 1.2 ** (y - 1995)) for y in years],
        "lines": {f"Author {i}": [rng.randint(0, 20) for _ in years] for i in range(10)},
        "lotka": [(k, max(1, int(100000 / k ** 2.1))) for k in range(1, 200)],
        "nodes": [(rng.random(), rng.random(), rng.randint(0, 7), rng.random())
                  for _ in range(100)],
        "edges": [(rng.randrange(100), rng.randrange(100)) for _ in range(300)],
        "heat": [[rng.random() for _ in range(20)] for _ in range(20)],
    }


def matplotlib_svg() -> str:
    import matplotlib as mpl
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    d = data()
    out = []
    with mpl.rc_context({"svg.hashsalt": "bench", "svg.fonttype": "none"}):
        for draw in range(5):
            fig = Figure()
            ax = fig.subplots()
            if draw == 0:
                ax.bar(d["years"], d["bars"])
            elif draw == 1:
                for name, values in d["lines"].items():
                    ax.plot(d["years"], values, label=name)
                ax.legend()
            elif draw == 2:
                ax.loglog(*zip(*d["lotka"]), "o")
            elif draw == 3:
                nodes = d["nodes"]
                ax.add_collection(LineCollection([[nodes[a][:2], nodes[b][:2]]
                                                  for a, b in d["edges"]], lw=0.3))
                ax.scatter([n[0] for n in nodes], [n[1] for n in nodes], c=[n[2] for n in nodes],
                           s=[20 + 200 * n[3] for n in nodes], cmap="tab10")
            else:
                ax.pcolormesh(d["heat"])
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
            out.append(buf.getvalue())
    return "".join(out)


def _altair_charts():
    import altair as alt

    d = data()
    rows = alt.Data
    log = alt.Scale(type="log")
    return [
        alt.Chart(rows(values=[{"y": y, "n": n} for y, n in zip(d["years"], d["bars"])]))
        .mark_bar().encode(x="y:O", y="n:Q"),
        alt.Chart(rows(values=[{"a": k, "y": y, "n": n} for k, v in d["lines"].items()
                               for y, n in zip(d["years"], v)]))
        .mark_line().encode(x="y:O", y="n:Q", color="a:N"),
        alt.Chart(rows(values=[{"k": k, "n": n} for k, n in d["lotka"]]))
        .mark_point().encode(x=alt.X("k:Q", scale=log), y=alt.Y("n:Q", scale=log)),
        alt.Chart(rows(values=[{"x": x, "y": y, "c": c, "s": s} for x, y, c, s in d["nodes"]]))
        .mark_circle().encode(x="x:Q", y="y:Q", color="c:N", size="s:Q"),
        alt.Chart(rows(values=[{"i": i, "j": j, "v": d["heat"][i][j]}
                               for i in range(20) for j in range(20)]))
        .mark_rect().encode(x="i:O", y="j:O", color="v:Q"),
    ]


def altair_html() -> str:
    import altair as alt

    return alt.vconcat(*_altair_charts()).to_html(inline=True)


def altair_vl_convert_svg() -> str:
    import vl_convert as vlc

    return "".join(vlc.vegalite_to_svg(c.to_json()) for c in _altair_charts())


def plotly_html() -> str:
    import plotly.graph_objects as go

    d = data()
    nodes = d["nodes"]
    figs = [
        go.Figure(go.Bar(x=d["years"], y=d["bars"])),
        go.Figure([go.Scatter(x=d["years"], y=v, name=k) for k, v in d["lines"].items()]),
        go.Figure(go.Scatter(x=[k for k, _ in d["lotka"]], y=[n for _, n in d["lotka"]],
                             mode="markers")).update_xaxes(type="log").update_yaxes(type="log"),
        go.Figure(go.Scatter(x=[n[0] for n in nodes], y=[n[1] for n in nodes], mode="markers",
                             marker={"color": [n[2] for n in nodes],
                                     "size": [5 + 20 * n[3] for n in nodes]})),
        go.Figure(go.Heatmap(z=d["heat"])),
    ]
    return "".join(f.to_html(include_plotlyjs=i == 0, full_html=False, div_id=f"fig{i}")
                   for i, f in enumerate(figs))


VARIANTS = {"matplotlib SVG": matplotlib_svg, "altair HTML (inline Vega JS)": altair_html,
            "altair via vl-convert SVG": altair_vl_convert_svg,
            "plotly HTML (inline plotly.js)": plotly_html}


def child(name: str) -> None:
    start = time.perf_counter()
    text = VARIANTS[name]()
    seconds = time.perf_counter() - start
    raw = text.encode()
    print(len(raw), f"{seconds:.2f}", hashlib.sha256(raw).hexdigest(), "<script" in text)


def main() -> None:
    if len(sys.argv) > 1:
        return child(sys.argv[1])
    print(f"{'library':32} {'bytes':>10} {'seconds':>8}  identical  needs scripts")
    for name in VARIANTS:
        runs = []
        for _ in range(2):
            r = subprocess.run([sys.executable, __file__, name], capture_output=True, text=True)
            if r.returncode:
                print(f"{name:32} skipped: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
                break
            runs.append(r.stdout.split())
        if len(runs) == 2:
            (size, secs, first, scripts), (_, _, second, _) = runs
            print(f"{name:32} {int(size):>10,} {secs:>8}  {str(first == second):9}  {scripts}")


if __name__ == "__main__":
    main()
