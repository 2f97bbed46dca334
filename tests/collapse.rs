//! Near-duplicate passages fold into the best-ranked copy (#13).

use predicates::prelude::*;

use crate::util::server::Server;
use crate::util::{Duplicate, TestDir};

const LIST: &str = "004_7d910efdc582c7a6.txt";

#[test]
fn the_six_step_list_shows_once_and_lists_its_copy() {
    let dir = TestDir::with_seed_corpus();
    let collapsed = dir.search_json(&["在线注销"]);
    let places: Vec<(&str, u64)> = collapsed
        .hits
        .iter()
        .map(|h| (h.path.as_str(), h.line))
        .collect();
    let first = collapsed
        .hits
        .iter()
        .find(|h| h.path == LIST && h.line == 39)
        .unwrap_or_else(|| panic!("the list at line 39: {places:?}"));
    assert_eq!(
        first.duplicates,
        [Duplicate {
            path: LIST.to_string(),
            line: 65
        }]
    );
    assert!(!places.contains(&(LIST, 65)), "{places:?}");
    assert_eq!(collapsed.hits.len(), 10, "the page is still full");
    let ranks: Vec<usize> = collapsed.hits.iter().map(|h| h.rank).collect();
    assert_eq!(ranks, (1..=10).collect::<Vec<_>>());

    let whole = dir.search_json(&["--no-collapse", "在线注销"]);
    let places: Vec<(&str, u64)> = whole
        .hits
        .iter()
        .map(|h| (h.path.as_str(), h.line))
        .collect();
    assert!(
        places.contains(&(LIST, 39)) && places.contains(&(LIST, 65)),
        "{places:?}"
    );
    assert!(whole.hits.iter().all(|h| h.duplicates.is_empty()));
    assert_eq!(
        whole.total, collapsed.total,
        "total counts passages either way"
    );

    dir.zhsearch()
        .args(["search", "--color", "never", "在线注销"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("also at {LIST}:65")));
}

#[test]
fn a_collapsed_page_fills_up_with_the_next_passages() {
    let dir = TestDir::new();
    let copy =
        "登录官网或APP，进入账户管理页面，选择注销服务，按照提示完成身份验证，最后确认注销。";
    for name in ["a.md", "b.md", "c.md"] {
        dir.create(&format!("corpus/{name}"), format!("# 步骤\n\n{copy}\n"));
    }
    dir.create(
        "corpus/d.md",
        "# 营业厅\n\n前往营业厅办理注销，携带护照。\n",
    );
    dir.create(
        "corpus/e.md",
        "# 电话\n\n拨打客服电话申请注销，核对身份。\n",
    );
    dir.create("corpus/f.md", "# 邮寄\n\n把卡片寄回运营商完成注销。\n");
    // The copies rank third to fifth (long passages): a page of four has to
    // look past them for its fourth hit.
    let results = dir.search_json(&["-n", "4", "注销"]);
    assert_eq!(results.hits.len(), 4, "{:?}", results.hits);
    assert!(results.hits.iter().any(|h| h.path == "e.md"));
    let copies: Vec<&str> = results
        .hits
        .iter()
        .filter(|h| h.text.contains("账户管理"))
        .map(|h| h.path.as_str())
        .collect();
    assert_eq!(copies.len(), 1, "one copy shown: {copies:?}");
    let folded = results
        .hits
        .iter()
        .find(|h| h.text.contains("账户管理"))
        .unwrap();
    assert_eq!(folded.duplicates.len(), 2);
    let uncollapsed = dir.search_json(&["-n", "4", "--no-collapse", "注销"]);
    let copies = uncollapsed
        .hits
        .iter()
        .filter(|h| h.text.contains("账户管理"));
    assert_eq!(copies.count(), 2, "with --no-collapse the copies are hits");
}

#[test]
fn the_server_collapses_unless_asked_not_to() {
    let dir = TestDir::with_seed_corpus();
    dir.index();
    let server = Server::start(&dir, &[]);
    let folded = server.search("在线注销", "").json();
    let hits = folded["hits"].as_array().unwrap();
    let list = hits
        .iter()
        .find(|h| h["path"] == LIST && h["line"] == 39)
        .expect("the list");
    assert_eq!(list["duplicates"][0]["line"], 65, "{list}");
    let whole = server.search("在线注销", "&collapse=false").json();
    let hits = whole["hits"].as_array().unwrap();
    assert!(hits.iter().all(|h| h.get("duplicates").is_none()));
    assert!(hits.iter().any(|h| h["path"] == LIST && h["line"] == 65));
}
