"""Tests for graph.ingest.links: repositories, links and arXiv mentions found in free text.

Most inputs are quoted from the dev corpus (cs.CV abstracts and comments); the arXiv ID of the
record each comes from is in the comment beside it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pyoxigraph
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.ingest.links import (
    LINK_KINDS,
    _extract,
    _lower,
    _plain_text,
    _split,
    _urlsplit,
    canonical_repository,
    extract,
    extract_noted,
    hostname_and_path,
    repository_parts,
)
from graph.model.records import Link


def repos(text: str) -> tuple[str, ...]:
    return extract(text)[0]


def links(text: str) -> tuple[Link, ...]:
    return extract(text)[1]


def mentions(text: str) -> tuple[str, ...]:
    return extract(text)[2]


# --- repositories: how the URL is written ---------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 2105.14685
        ("Our dataset and documents are available at https://github.com/PengBoXiangShang/deepchange.",
         "https://github.com/pengboxiangshang/deepchange"),
        ("Code: http://github.com/zhou13/lcnn", "https://github.com/zhou13/lcnn"),
        # 1904.00853
        (r"The code and data will be made available on \url{www.github.com/eg4000/SKU110K_CVPR19}.",
         "https://github.com/eg4000/sku110k_cvpr19"),
        ("an open-source implementation at www.github.com/acschaefer/polex.",
         "https://github.com/acschaefer/polex"),
        # 2011.03972: a bare host, also right after a LaTeX colour command
        ("Code is at github.com/sunsmarterjie/SDL-Skeleton and more",
         "https://github.com/sunsmarterjie/sdl-skeleton"),
        (r"\href{https://x.org}{\color{magenta}github.com/sunsmarterjie/SDL-Skeleton}.",
         "https://github.com/sunsmarterjie/sdl-skeleton"),
        # 2003.05176: a space inside the scheme
        ("Code has been available at https: //github.com/tztztztztz/eql.detectron2",
         "https://github.com/tztztztztz/eql.detectron2"),
        # 1901.06706: line wrapping after "github.com/"
        ("The SNLI-VE dataset is publicly available at https://github.com/ necla-ml/SNLI-VE.",
         "https://github.com/necla-ml/snli-ve"),
        # 2011.00147: line wrapping after a hyphen inside the name
        ("NeurIPS 2020 (oral). Code: https://github.com/kgl-prml/Pixel- Level-Cycle-Association",
         "https://github.com/kgl-prml/pixel-level-cycle-association"),
        # 2010.14819
        ("see https://gitee.com/mindspore/mindspore/tree/master/model_zoo/research/cv/tinynet.",
         "https://gitee.com/mindspore/mindspore"),
    ],
)
def test_repository_url_forms(text: str, expected: str) -> None:
    assert repos(text) == (expected,)


def test_hyphen_ending_a_name_is_kept_before_ordinary_words() -> None:
    # 2004.01110: "MAN-PAR-" is the real name; only a hyphenated continuation is rejoined
    text = "The code is available at https://github.com/Ehsan-Yaghoubi/MAN-PAR- and the data"
    assert repos(text) == ("https://github.com/ehsan-yaghoubi/man-par-",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("available at https://github.com/zjhthu/OANet.git.", "https://github.com/zjhthu/oanet"),  # 1908.04964
        ("available at https://github.com/zjhthu/SGC-Release.git", "https://github.com/zjhthu/sgc-release"),  # 1907.05091
        (r"at \url{https://github.com/lxtGH/SFSegNets}.", "https://github.com/lxtgh/sfsegnets"),  # 2002.10120
        ("(https://github.com/MASILab/ALARM).246 subjects", "https://github.com/masilab/alarm"),  # 1906.09549
        ("[Code release: https://github.com/ssarfraz/SPL]", "https://github.com/ssarfraz/spl"),  # 1908.00274
        ('at "https://github.com/youngfly11/LCMCG-PyTorch".', "https://github.com/youngfly11/lcmcg-pytorch"),
        ('see "https://github.com/youngfly11/LCMCG-PyTorch", then', "https://github.com/youngfly11/lcmcg-pytorch"),
        ("https://github.com/google-research/self-organising-systems/tree/master/mplp; code",
         "https://github.com/google-research/self-organising-systems"),  # 2007.00970
        ("(https://github.com/ucas-vg/TinyBenchmark).(Attention: evaluation",
         "https://github.com/ucas-vg/tinybenchmark"),  # 1912.10664
        ("Code: https://github.com/zl1994/IoU-Uniform-R-CNN, and", "https://github.com/zl1994/iou-uniform-r-cnn"),
        ("downloaded at https://github.com/zyWang-Power/Clustering!", "https://github.com/zywang-power/clustering"),  # 1906.03905
        ("Source <https://github.com/shijieS/DMMN>). We", "https://github.com/shijies/dmmn"),  # 2008.08826
        ("at (https://github.com/sekilab/RoadDamageDetector/).", "https://github.com/sekilab/roaddamagedetector"),
        (r"$\text{https://github.com/ahatamiz/dals}$", "https://github.com/ahatamiz/dals"),
        ("code: https://github.com/a-b/repo: see", "https://github.com/a-b/repo"),
        ("code 'https://github.com/a-b/repo'", "https://github.com/a-b/repo"),
        ("available at https://github.com/microsoft/hnms.git}.", "https://github.com/microsoft/hnms"),
        ("https://github.com/zhixinwang/frustum-convnet}.}", "https://github.com/zhixinwang/frustum-convnet"),
    ],
)
def test_trailing_garbage_is_cut(text: str, expected: str) -> None:
    assert repos(text) == (expected,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code: https://github.com/microsoft/O-CNN/blob/master/docs/unsupervised.md",  # 2008.01068
         "https://github.com/microsoft/o-cnn"),
        ("https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet.",
         "https://github.com/tensorflow/tpu"),
        ("see https://github.com/open-mmlab/mmdetection#readme", "https://github.com/open-mmlab/mmdetection"),
        ("see https://github.com/open-mmlab/mmdetection?tab=readme-ov-file", "https://github.com/open-mmlab/mmdetection"),
        ("see https://github.com/HobbitLong/CMC/", "https://github.com/hobbitlong/cmc"),
        ("see https://github.com//jasonustc/caffe-multigpu/tree/TICNN", "https://github.com/jasonustc/caffe-multigpu"),
        ("https://github.com/DirtyHarryLYL/HAKE-Action-Torch/tree/IDN-(Integrating-Decomposing-Network).",
         "https://github.com/dirtyharrylyl/hake-action-torch"),
        ("https://raw.githubusercontent.com/owner1/data/main/x.csv", "https://github.com/owner1/data"),
    ],
)
def test_sub_paths_are_cut_to_owner_repo(text: str, expected: str) -> None:
    assert repos(text) == (expected,)


def test_identity_is_case_insensitive_and_first_seen_order_is_kept() -> None:
    text = ("Code at https://github.com/NVlabs/SegFormer and https://github.com/hustvl/MSG-Transformer; "
            "mirror github.com/nvlabs/segformer.git")
    assert repos(text) == ("https://github.com/nvlabs/segformer", "https://github.com/hustvl/msg-transformer")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://github.com/Jiawei-Shen?tab=repositories\", submitted", "https://github.com/jiawei-shen"),  # 2007.06443
        ("Code: https://github.com/LorisNanni.", "https://github.com/lorisnanni"),  # 1905.02473
        ("https://github.com/xbq1994/.", "https://github.com/xbq1994"),  # 2008.08528
        ("https://github.com/orgs/open-mmlab/repositories", "https://github.com/open-mmlab"),
        ("https://gitlab.com/EAVISE", "https://gitlab.com/eavise"),
    ],
)
def test_user_page_is_a_profile_link_not_a_repository(text: str, expected: str) -> None:
    assert extract(text)[:2] == ((), (Link(expected, "profile"),))


@pytest.mark.parametrize(
    "text",
    [
        "Code will be released at github.com/xxx/xxx.",
        "Code: https://github.com/XXXX/XXXX",
        "https://github.com/anonymous/SomeRepo",
        "https://github.com/Anonymous/code",
        "https://github.com/username/repo",
        "https://github.com/your-name/project",
        "https://github.com/<username>/<repo>",
        "https://github.com/blinded/for-review",
        "https://github.com/anon/x-net",
        "https://github.com/removed",
        "https://github.com/hidden/foo",
        "https://github.com/redacted/foo",
        "https://github.com/realowner/anonymized",
        "at: www.github.com/link-to-code at the time of publication",  # 2010.12065
        "https://gitlab.com/anonymous/code",
    ],
)
def test_placeholders_are_dropped(text: str) -> None:
    assert extract(text) == ((), (), ())


def test_real_accounts_that_start_with_anonymous_are_kept() -> None:
    # 2007.02491: a real repository of an account named like a placeholder
    assert repos("Codes are available on https://github.com/anonymous47823493/EagleEye") == (
        "https://github.com/anonymous47823493/eagleeye",)


@pytest.mark.parametrize(
    "path", ["features", "topics/deep-learning", "sponsors/x", "marketplace", "about", "pulls", "issues",
             "settings/profile", "login", "collections/ml", "trending", "site/terms", "apps/dependabot", ""],
)
def test_github_reserved_paths_are_dropped(path: str) -> None:
    assert extract(f"see https://github.com/{path} today") == ((), (), ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://gitlab.com/EAVISE/jetnet", "https://gitlab.com/eavise/jetnet"),  # 1904.02024
        ("at https://gitlab.com/aksoyeren/salsanet.git.", "https://gitlab.com/aksoyeren/salsanet"),
        ("https://gitlab.com/group/sub/project/-/tree/main/src", "https://gitlab.com/group/sub/project"),
        ("https://gitlab.lrz.de/lkn_measurements/vvd_measurements", "https://gitlab.lrz.de/lkn_measurements/vvd_measurements"),
        ("at www.gitlab.com/haghdam/deep_active_learning.", "https://gitlab.com/haghdam/deep_active_learning"),
        ("https://bitbucket.org/RSKothari/ellseg/src/master/", "https://bitbucket.org/rskothari/ellseg"),
        ('https://bitbucket.org/eye-ush/ritnet/.")', "https://bitbucket.org/eye-ush/ritnet"),
        ("https://codeberg.org/Owner1/Tool", "https://codeberg.org/owner1/tool"),
        ("https://sourceforge.net/projects/OpenCFU/files/", "https://sourceforge.net/projects/opencfu"),
    ],
)
def test_other_forges(text: str, expected: str) -> None:
    assert repos(text) == (expected,)


# --- links -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "url", "kind"),
    [
        ("Project page: https://zju-3dv.github.io/mvpose/", "https://zju-3dv.github.io/mvpose/", "project"),
        ("n the project website: thodan.github.io/objectsynth.", "https://thodan.github.io/objectsynth", "project"),
        (r"\url{https://sites.google.com/view/keyin}.", "https://sites.google.com/view/keyin", "project"),
        ("https://huggingface.co/datasets/moonworks/lunara", "https://huggingface.co/datasets/moonworks/lunara", "huggingface"),
        ("https://hf.co/spaces/x/y", "https://hf.co/spaces/x/y", "huggingface"),
        ("at Zenodo: https://zenodo.org/record/2346885#.XfCfsq5ytpg", "https://zenodo.org/record/2346885#.XfCfsq5ytpg", "zenodo"),
        ("(https://youtu.be/sFjBa_MHS98)", "https://youtu.be/sFjBa_MHS98", "video"),
        ("https://www.youtube.com/watch?v=3pbSHX72JC8&t=22s", "https://www.youtube.com/watch?v=3pbSHX72JC8&t=22s", "video"),
        ("https://vimeo.com/12345.", "https://vimeo.com/12345", "video"),
        ("https://www.bilibili.com/video/BV1x", "https://www.bilibili.com/video/BV1x", "video"),
        ("website: https://www.kaggle.com/c/cassava-disease/overview,", "https://www.kaggle.com/c/cassava-disease/overview", "dataset"),
        ("algorithm (https://osf.io/nqjyw/,", "https://osf.io/nqjyw/", "dataset"),
        ("https://figshare.com/articles/x/1", "https://figshare.com/articles/x/1", "dataset"),
        ("https://data.mendeley.com/datasets/abc/1", "https://data.mendeley.com/datasets/abc/1", "dataset"),
        ("https://paperswithcode.com/dataset/coco", "https://paperswithcode.com/dataset/coco", "dataset"),
        ("https://paperswithcode.com/paper/x", "https://paperswithcode.com/paper/x", "project"),
        ("Demo: https://colab.research.google.com/drive/1706ToQr", "https://colab.research.google.com/drive/1706ToQr", "colab"),
        ("https://ieeexplore.ieee.org/document/9533330", "https://ieeexplore.ieee.org/document/9533330", "project"),
    ],
)
def test_link_kinds(text: str, url: str, kind: str) -> None:
    assert extract(text)[:2] == ((), (Link(url, kind),))
    assert kind in LINK_KINDS


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("http://doi.org/10.5281/zenodo.3677473.", "https://doi.org/10.5281/zenodo.3677473"),
        ("See http://dx.doi.org/10.1109/42.650883)", "https://doi.org/10.1109/42.650883"),
        ("DOI: https://DOI.org/10.1007/s13218-026-00902-6", "https://doi.org/10.1007/s13218-026-00902-6"),
        ("https://doi.org/10.1002/(SICI)1097-0258(19980815)17:15", "https://doi.org/10.1002/(SICI)1097-0258(19980815)17:15"),
    ],
)
def test_doi_links_are_normalised(text: str, url: str) -> None:
    assert links(text) == (Link(url, "doi"),)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        # scheme and host lowercased, the rest kept as written
        ("HTTP://WWW.Robots.OX.ac.uk/~vgg/Research/", "http://www.robots.ox.ac.uk/~vgg/Research/"),
        # bare www. gets http://
        ("Project page: www.robots.ox.ac.uk/~ow/synsin.html", "http://www.robots.ox.ac.uk/~ow/synsin.html"),
        ("published at (www.studierfenster.at).", "http://www.studierfenster.at/"),
        # empty path is "/"
        ("Statistics (http://www.imstat.org)", "http://www.imstat.org/"),  # 1009.5750
        # balanced parentheses belong to the URL, an unopened one does not
        ("(see https://en.wikipedia.org/wiki/Cut_(graph_theory)).", "https://en.wikipedia.org/wiki/Cut_(graph_theory)"),
        # fragments of ordinary links are kept
        ("at http://www.cs.smith.edu/~nhowe/research/code/#fgseg", "http://www.cs.smith.edu/~nhowe/research/code/#fgseg"),
        # user info is never kept
        ("http://user:secret@example.org/x", "http://example.org/x"),
        ("http://example.org:8080/x", "http://example.org:8080/x"),
    ],
)
def test_link_normalisation(text: str, url: str) -> None:
    assert [link.url for link in links(text)] == [url]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("http://example.org/a%zz", "http://example.org/a%25zz"),
        ("http://example.org/a%2", "http://example.org/a%252"),
        ("http://example.org/PS-1%20Interactive", "http://example.org/PS-1%20Interactive"),
        ("http://example.org/a#b#c", "http://example.org/a#b%23c"),
        ("http://例え.jp/パス", "http://例え.jp/パス"),
        ("http://example.org/\ue000x", "http://example.org/%EE%80%80x"),
        ("http://example.org/\ufffex", "http://example.org/%EF%BF%BEx"),
    ],
)
def test_characters_an_iri_cannot_hold_are_percent_encoded(text: str, url: str) -> None:
    assert [link.url for link in links(text)] == [url]
    pyoxigraph.NamedNode(url)


@pytest.mark.parametrize(
    "text", ["see http://localhost/x", "see http://", "http://example.org:http/", "http://[::1/x",
             "see www.foo and", "on GitHub.com.", "https://github.com"],
)
def test_urls_without_a_usable_host_are_dropped(text: str) -> None:
    assert extract(text) == ((), (), ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"at https://github.com/RenMin1991/Dyamic\_Graph\_Representation",  # 1912.00377
         "https://github.com/renmin1991/dyamic_graph_representation"),
        (r"at https://github.com/krishnabits001/task$\_$driven$\_$data$\_$augmentation.",  # 2007.05363
         "https://github.com/krishnabits001/task_driven_data_augmentation"),
    ],
)
def test_latex_escapes_are_undone(text: str, expected: str) -> None:
    assert repos(text) == (expected,)


def test_latex_escaped_percent_in_a_link() -> None:
    text = r"at: https://research.nvidia.com/publication/2019-10_6-DOF-GraspNet\%3A-Variational"  # 1905.10520
    assert links(text) == (
        Link("https://research.nvidia.com/publication/2019-10_6-DOF-GraspNet%3A-Variational", "project"),)


def test_links_are_deduplicated_in_first_seen_order() -> None:
    text = ("Video https://youtu.be/BE6-F6chW0w, page https://a.github.io/p/, "
            "again https://youtu.be/BE6-F6chW0w.")
    assert links(text) == (Link("https://youtu.be/BE6-F6chW0w", "video"), Link("https://a.github.io/p/", "project"))


def test_e_mail_addresses_are_not_links() -> None:
    assert extract("contact kevin.kai.xu@gmail.com or me@github.io today") == ((), (), ())


# --- mentions --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("An earlier version (https://arxiv.org/abs/1704.02685)", ("1704.02685",)),
        ("see arxiv.org/pdf/1704.02685v2.pdf", ("1704.02685",)),
        ("text overlap with arXiv:1804.01438", ("1804.01438",)),
        ("text overlap with arXiv:1804.01438, arXiv:1703.06870 by other authors", ("1804.01438", "1703.06870")),
        ("see arXiv 2105.14656v2", ("2105.14656",)),
        ("arXiv admin note: text overlap with 1802.09058 by other authors", ("1802.09058",)),  # 1912.09231
        ("arXiv admin note: substantial text overlap with 2006.05580", ("2006.05580",)),  # 2009.13075
        ("see ArXiv: 0704.0001", ("0704.0001",)),
        ("See also (http://arxiv.org/abs/1103.1625)", ("1103.1625",)),
        ("see arxiv.org/abs/cs/9902010", ("cs/9902010",)),
        ("the current paper is based on arXiv:cs/0202020v1", ("cs/0202020",)),  # cs/0202020
        ("the 5-page abstract cs.IR/0504089", ("cs/0504089",)),
        ("see math.GT/0309136 and math-ph/9903036", ("math/0309136", "math-ph/9903036")),
        ("see arXiv:cs.CV/0102030", ("cs/0102030",)),
        ("see https://export.arxiv.org/abs/hep-th/9901001v3", ("hep-th/9901001",)),
    ],
)
def test_mentions(text: str, expected: tuple[str, ...]) -> None:
    assert mentions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we reach 1704.02685 points",          # no arXiv marker
        "see arXiv:1713.01234",                # month 13
        "see arXiv:1501.1234",                 # 4 digits after 2014
        "see arXiv:1412.12345",                # 5 digits before 2015
        "see arXiv:0612.1234",                 # new-style before April 2007
        "scenes from BDD100k/12859493/1",      # not an archive
        "see xcs/0102030",                     # archive inside a word
        "see cs/0813001",                      # month 13
        "https://example.org/cs/0102030",      # inside another site's URL
        "This article has been removed by arXiv administrators",
    ],
)
def test_non_mentions(text: str) -> None:
    assert mentions(text) == ()


def test_arxiv_urls_are_mentions_not_links() -> None:
    assert extract("See (http://arxiv.org/abs/1103.1625) and https://arxiv.org/list/cs.CV/new") == (
        (), (), ("1103.1625",))


def test_mentions_are_deduplicated_in_first_seen_order() -> None:
    text = "overlap with arXiv:1804.01438v2, arXiv:1703.06870 and arxiv.org/abs/1804.01438"
    assert mentions(text) == ("1804.01438", "1703.06870")


# --- whole records ---------------------------------------------------------------------------

def test_a_record_with_everything() -> None:
    text = ("Code: https://github.com/NVlabs/SegFormer. Video: https://youtu.be/J0MoRQzZe8U. "
            "Extends arXiv:2105.01601; data at https://doi.org/10.5281/zenodo.3764697, "
            "profile https://github.com/NVlabs.")
    assert extract(text) == (
        ("https://github.com/nvlabs/segformer",),
        (Link("https://youtu.be/J0MoRQzZe8U", "video"),
         Link("https://doi.org/10.5281/zenodo.3764697", "doi"),
         Link("https://github.com/nvlabs", "profile")),
        ("2105.01601",),
    )


@pytest.mark.parametrize("text", ["", "None", "A plain abstract with 3.5% gains and a/b tests.", "  "])
def test_text_without_urls_gives_empty_tuples(text: str) -> None:
    assert extract(text) == ((), (), ())


# --- canonical_repository --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/NVlabs/StyleGAN2", "https://github.com/nvlabs/stylegan2"),
        ("github.com/NVlabs/StyleGAN2.git/tree/master", "https://github.com/nvlabs/stylegan2"),
        ("HTTP://WWW.GitHub.com/a-b/c.d).", "https://github.com/a-b/c.d"),
        ("https://gitlab.com/a/b/c/-/blob/x", "https://gitlab.com/a/b/c"),
        ("https://github.com/NVlabs", None),
        ("https://github.com/xxx/xxx", None),
        ("https://nvlabs.github.io/stylegan2", None),
        ("https://example.org/a/b", None),
        ("not a url", None),
        ("", None),
    ],
)
def test_canonical_repository(url: str, expected: str | None) -> None:
    assert canonical_repository(url) == expected


# --- properties ------------------------------------------------------------------------------

_PIECES = st.sampled_from([
    "http://", "https://", "https: //", "www.", "github.com/", "gitlab.", "x.github.io", ".com", ".org/",
    "/", "%", "%2", "#", "?", "(", ")", "[", "]", "{", "}", "<", '"', "\\_", "$\\_$", "- ", " ", ".git",
    "arXiv:", "cs.CV/0102030", "1704.02685", "\ud800", "\ufffe", "\U0001fffe", "\ue000", "\x00", "\x85",
    ":", "@", "İ", "ß", "..", "anonymous", "Owner1/Repo", "doi.org/10.1/x", "sourceforge.net/projects/",
    "hf.co/", ":99999", ":x", "youtu.be/",
])
_TEXT = st.one_of(st.text(), st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=30).map("".join))


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_every_returned_url_is_a_valid_iri(text: str) -> None:
    found_repos, found_links, found_mentions = extract(text)
    for url in (*found_repos, *(link.url for link in found_links)):
        pyoxigraph.NamedNode(url)  # raises ValueError on an invalid IRI
    assert all(link.kind in LINK_KINDS for link in found_links)
    assert len(set(found_repos)) == len(found_repos) and len(set(found_mentions)) == len(found_mentions)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_canonical_repository_is_idempotent_and_never_raises(text: str) -> None:
    for repository in extract(text)[0]:
        assert canonical_repository(repository) == repository
    result = canonical_repository(text)
    assert result is None or result.startswith("https://")


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_a_text_the_quick_check_passes_has_nothing_to_find(text: str) -> None:
    lowered = _lower(text)
    assert not _plain_text(text, lowered) or _extract(text, lowered) == (((), (), ()), ())


_URL_PIECES = st.sampled_from(["a", "Z", "0", "-", ".", "/", "?", "#", "%", ":", "@", "[", "]", "\t", "\n", " ",
                               "é", "com", "github.com", "x.org", "//", "\x00"])


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTP://", "http:/", "ftp://"]),
       st.lists(_URL_PIECES, max_size=12).map("".join))
def test_the_quick_url_split_is_urlsplits(scheme: str, rest: str) -> None:
    assert _split(scheme + rest) == _urlsplit(scheme + rest)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTP://", "http:/", "ftp://"]),
       st.lists(_URL_PIECES, max_size=12).map("".join))
def test_the_quick_hostname_and_path_are_urlsplits(scheme: str, rest: str) -> None:
    try:
        parts = urlsplit(scheme + rest)
        expected = parts.hostname or "", parts.path
    except ValueError:
        return
    assert hostname_and_path(scheme + rest) == expected


# Repaired and newly recognised repositories: real-looking text, as abstracts and comments
# write it (the dev corpus's own cases cite their record).
@pytest.mark.parametrize(("text", "repositories", "rule"), [
    ("Code: https://https://github.com/NVlabs/StyleGAN2. 12 pages", ("https://github.com/nvlabs/stylegan2",),
     "broken scheme"),
    ("The code is at ttps://github.com/Megvii/YOLOX.", ("https://github.com/megvii/yolox",), "broken scheme"),
    ("available at https;//github.com/facebookresearch/detectron2", ("https://github.com/facebookresearch/detectron2",),
     "broken scheme"),
    ("see https:/github.com/open-mmlab/mmdetection for details", ("https://github.com/open-mmlab/mmdetection",),
     "broken scheme"),
    ("Code:https://github.com/a1/b1https://github.com/a2/b2.", ("https://github.com/a1/b1", "https://github.com/a2/b2"),
     "glued URLs"),
    ("Code at github.co/NVlabs/ffhq-dataset.", ("https://github.com/nvlabs/ffhq-dataset",), "github.co typo"),
    ("at https://github.com/hszhao/semantic_ segmentation now", ("https://github.com/hszhao/semantic_segmentation",),
     "name cut at a line wrap"),
])
def test_repaired_urls_become_repositories(text, repositories, rule):
    (found, _, _), changes = extract_noted(text)
    assert found == repositories
    assert [c.rule for c in changes] == [rule]


def test_a_wrap_before_an_ordinary_word_is_not_rejoined():
    (found, _, _), changes = extract_noted("code: https://github.com/acme/model_ and weights")
    assert found == ("https://github.com/acme/model_",) and changes == ()


@pytest.mark.parametrize(("text", "url", "parts"), [
    # cs.CV/2020/10/20201002.md:488
    ("Code is available at https://anonymous.4open.science/r/868f87ca-c8a4-41ba-9af9-20c41de33029/. 9 pages",
     "https://anonymous.4open.science/r/868f87ca-c8a4-41ba-9af9-20c41de33029",
     ("anonymous.4open.science", "", "868f87ca-c8a4-41ba-9af9-20c41de33029")),
    ("Codes are available at https://git.io/fj5vR. ICCV 2019 camera ready",  # 20190107.md:230
     "https://git.io/fj5vR", ("git.io", "", "")),
    ("our code is available at https://git.uwaterloo.ca/wise-lab/fantrack. 8 pages",  # 20190507.md:598
     "https://git.uwaterloo.ca/wise-lab/fantrack", ("git.uwaterloo.ca", "wise-lab", "fantrack")),
    ("https://git.etrovub.be/AVSP/ct-based-covid-19-diagnostic-tool.git",
     "https://git.etrovub.be/avsp/ct-based-covid-19-diagnostic-tool",
     ("git.etrovub.be", "avsp", "ct-based-covid-19-diagnostic-tool")),
    ("Code: https://gitea.example.org/lab/proj/src/branch/main", "https://gitea.example.org/lab/proj",
     ("gitea.example.org", "lab", "proj")),
    ("Code: https://code.inria.fr/group/sub/proj/-/tree/main", "https://code.inria.fr/group/sub/proj",
     ("code.inria.fr", "group", "sub/proj")),
])
def test_more_forges_are_repositories(text, url, parts):
    assert extract(text)[0] == (url,)
    assert repository_parts(url) == parts


def test_arxiv_dois_are_mentions_and_malformed_doi_links_are_dropped():
    text = ("Extends https://doi.org/10.48550/arXiv.2105.14656 (DOI 10.48550/arXiv.1704.02685). "
            "Published at https://doi.org/ and https://doi.org/https://doi.org/10.1007/s42979-021-00572-1.")
    (repos, links, mentions), changes = extract_noted(text)
    assert mentions == ("2105.14656", "1704.02685")
    assert links == (Link("https://doi.org/10.1007/s42979-021-00572-1", "doi"),)
    assert sorted((c.action, c.rule) for c in changes) == [("cleaned", "doubled DOI prefix"),
                                                          ("rejected", "malformed DOI link")]
