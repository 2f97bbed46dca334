//! Messy input: encodings, line endings, bad files, odd names and folders.

use encoding_rs::{BIG5, GBK};
use predicates::prelude::*;

use crate::util::TestDir;

/// An article whose second passage starts on line 7 (with any line ending).
fn article(title: &str, body: &str, eol: &str) -> String {
    [
        format!("# {title}"),
        String::new(),
        "这是一段介绍性的文字，用来占据前面几行的位置。".to_string(),
        String::new(),
        "## 办理".to_string(),
        String::new(),
        body.to_string(),
        String::new(),
    ]
    .join(eol)
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    out
}

fn utf16be_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        out.extend(unit.to_be_bytes());
    }
    out
}

/// UTF-16 the way some Windows tools save it: no byte-order mark.
fn utf16_without_bom(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

#[test]
fn every_encoding_and_line_ending_is_read_with_the_right_lines() {
    let dir = TestDir::new();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "utf8.md",
            article("UTF8", "甲乙办理需要护照。", "\n").into_bytes(),
            "甲乙",
        ),
        (
            "utf8-bom-crlf.md",
            [
                b"\xEF\xBB\xBF".as_slice(),
                article("BOM", "丙丁办理需要护照。", "\r\n").as_bytes(),
            ]
            .concat(),
            "丙丁",
        ),
        (
            "utf16le.txt",
            utf16le_with_bom(&article("UTF16LE", "戊己办理需要护照。", "\r\n")),
            "戊己",
        ),
        (
            "utf16be.txt",
            utf16be_with_bom(&article("UTF16BE", "庚辛办理需要护照。", "\n")),
            "庚辛",
        ),
        (
            "utf16le-no-bom.txt",
            utf16_without_bom(&article("无标记小端", "寅卯办理需要护照。", "\r\n"), false),
            "寅卯",
        ),
        (
            "utf16be-no-bom.md",
            utf16_without_bom(&article("无标记大端", "辰巳办理需要护照。", "\n"), true),
            "辰巳",
        ),
        (
            "gbk-crlf.txt",
            GBK.encode(&article(
                "国标编码",
                "壬癸办理销户需要携带护照和在留卡，营业厅工作人员会核对身份。",
                "\r\n",
            ))
            .0
            .into_owned(),
            "壬癸",
        ),
        (
            "big5-cr.txt",
            BIG5.encode(&article(
                "繁體編碼",
                "子丑辦理銷戶需要攜帶護照和在留卡，營業廳工作人員會核對身份。",
                "\r",
            ))
            .0
            .into_owned(),
            "子丑",
        ),
    ];
    for (name, bytes, _) in &cases {
        dir.create(&format!("corpus/{name}"), bytes);
    }
    let out = dir.index();
    assert!(out.contains("8 added"), "{out}");
    assert!(out.contains("0 skipped"), "{out}");
    for (name, _, needle) in &cases {
        let results = dir.search_json(&[&format!("\"{needle}\"")]);
        let hit = results
            .hits
            .first()
            .unwrap_or_else(|| panic!("{name}: '{needle}' not found"));
        assert_eq!(&hit.path, name);
        assert_eq!(hit.line, 7, "{name}: line of the passage");
        assert_eq!(hit.heading, "办理", "{name}");
        assert!(hit.text.starts_with(needle), "{name}: {}", hit.text);
    }
    let gbk = dir.search_json(&["壬癸"]);
    assert_eq!(gbk.hits[0].title, "国标编码");
    let big5 = dir.search_json(&["子丑"]);
    assert_eq!(big5.hits[0].title, "繁體編碼");
}

// See: issue #10 ("Lose nothing, never crash"): one bad byte made the file
// mojibake, silently.
#[test]
fn damaged_utf8_is_indexed_with_a_warning_per_file() {
    let dir = TestDir::new();
    // printf '# 虚拟环境\n\n在项目目录下创建虚拟环境。EasyCard\n\xe4\xb8' > corpus/a.md
    dir.create(
        "corpus/a.md",
        [
            "# 虚拟环境\n\n在项目目录下创建虚拟环境。EasyCard\n".as_bytes(),
            b"\xe4\xb8",
        ]
        .concat(),
    );
    dir.create(
        "corpus/b.md",
        [
            "# 注销\n\n营业厅可以办理".as_bytes(),
            b"\xFF",
            "销户手续。\n".as_bytes(),
        ]
        .concat(),
    );
    dir.create(
        "corpus/c.md",
        [
            b"\xEF\xBB\xBF".as_slice(),
            "# 标记\n\n带字节顺序标记的文件也可以在线解约".as_bytes(),
            b"\xC0\xFE",
            "。\n".as_bytes(),
        ]
        .concat(),
    );
    let out = dir.zhsearch().arg("index").assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stdout.contains("3 added"), "{stdout}");
    assert!(stdout.contains("0 skipped"), "{stdout}");
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        warnings,
        [
            "zhsearch: a.md: 2 invalid UTF-8 bytes replaced",
            "zhsearch: b.md: 1 invalid UTF-8 byte replaced",
            "zhsearch: c.md: 2 invalid UTF-8 bytes replaced",
        ],
        "{stderr}"
    );
    for (query, path) in [
        ("创建", "a.md"),
        ("EasyCard", "a.md"),
        ("营业厅", "b.md"),
        ("解约", "c.md"),
    ] {
        let results = dir.search_json(&[query]);
        assert_eq!(
            results.hits.first().map(|h| h.path.as_str()),
            Some(path),
            "{query}"
        );
    }
    // Unchanged, the files are not read again: no warning, nothing stale.
    let out = dir.zhsearch().arg("index").assert().success();
    assert!(out.get_output().stderr.is_empty());
}

#[test]
fn bad_files_are_skipped_one_line_each_and_counted() {
    let dir = TestDir::new();
    dir.create("corpus/good.md", "# 好\n\n营业厅可以办理注销手续。\n");
    dir.create("corpus/empty.md", "");
    dir.create("corpus/blank.md", " \n\t\r\n　\n");
    dir.create(
        "corpus/image.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    );
    dir.create("corpus/broken-bom.md", b"\xEF\xBB\xBF\xE6\x88 \xFF\xFE\xFD");
    dir.create("corpus/only-title.md", "# 只有标题\n");
    let out = dir.zhsearch().arg("index").assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stdout.contains("1 added"), "{stdout}");
    assert!(stdout.contains("5 skipped"), "{stdout}");
    for (name, reason) in [
        ("empty.md", "empty file"),
        ("blank.md", "only whitespace"),
        ("image.txt", "binary"),
        ("broken-bom.md", "UTF-8"),
        ("only-title.md", "no text"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no warning for {name}: {stderr}"));
        assert!(line.contains(reason), "{name}: {line}");
        assert!(line.starts_with("zhsearch: skipped "), "{line}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(dir.search_json(&["注销"]).hits[0].path, "good.md");
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    dir.create("corpus/good.md", "# 好\n\n营业厅可以办理注销手续。\n");
    let secret = dir.create("corpus/secret.md", "# 秘密\n\n不能读取的文件内容。\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_ok() {
        // Running as root: permissions do not stop reading; nothing to check.
        eprintln!("note: running as root, unreadable-file check skipped");
        return;
    }
    dir.zhsearch()
        .arg("index")
        .assert()
        .success()
        .stdout(predicate::str::contains("1 skipped"))
        .stderr(predicate::str::contains(
            "secret.md: cannot read: permission denied",
        ));
}

#[test]
fn odd_names_hidden_folders_and_the_index_folder_itself() {
    let dir = TestDir::new();
    dir.create(
        "corpus/有 空格 的 文件.md",
        "# 空格\n\n文件名里有空格也能办理销户。\n",
    );
    dir.create(
        "corpus/子目录/中文名.txt",
        "# 中文\n\n中文目录里的文章讲解约流程。\n",
    );
    dir.create(".git/ignored.md", "# 不该出现\n\n隐藏目录里的内容。\n");
    dir.create(
        "corpus/.git/ignored.md",
        "# 不该出现\n\n隐藏目录里的内容。\n",
    );
    dir.create("corpus/.hidden.md", "# 不该出现\n\n隐藏文件里的内容。\n");
    // The index lives inside the corpus: it must not index itself.
    dir.zhsearch()
        .args(["index", "--corpus", "corpus", "--index", "corpus/idx"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 added").and(predicate::str::contains("0 skipped")));
    let results = dir.search_json(&["--corpus", "corpus", "--index", "corpus/idx", "销户"]);
    assert_eq!(results.hits[0].path, "有 空格 的 文件.md");
    let results = dir.search_json(&["--corpus", "corpus", "--index", "corpus/idx", "解约"]);
    assert_eq!(results.hits[0].path, "子目录/中文名.txt");
    let hidden = dir.search_json(&["--corpus", "corpus", "--index", "corpus/idx", "隐藏"]);
    assert_eq!(hidden.total, 0);
    // A second run inside the corpus finds nothing new (its own files are not articles).
    dir.zhsearch()
        .args(["index", "--corpus", "corpus", "--index", "corpus/idx"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "0 added, 0 updated, 0 removed, 2 unchanged",
        ));
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang() {
    let dir = TestDir::new();
    dir.create(
        "corpus/a/doc.md",
        "# 链接\n\n符号链接循环不会让索引卡住。\n",
    );
    std::os::unix::fs::symlink("..", dir.path().join("corpus/a/up")).unwrap();
    std::os::unix::fs::symlink("loop", dir.path().join("corpus/loop")).unwrap();
    std::os::unix::fs::symlink("nowhere.md", dir.path().join("corpus/broken.md")).unwrap();
    std::os::unix::fs::symlink("a/doc.md", dir.path().join("corpus/linked.md")).unwrap();
    let out = dir
        .zhsearch()
        .arg("index")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    // The linked file is an article of its own; the folder loop is walked
    // once; a link to itself and a dangling link are skipped.
    assert!(stdout.contains("2 added"), "{stdout}");
    assert!(stdout.contains("2 skipped"), "{stdout}");
    assert!(
        stderr.contains("broken.md: broken symbolic link"),
        "{stderr}"
    );
    assert!(stderr.contains("loop: broken symbolic link"), "{stderr}");
}

#[test]
fn a_missing_empty_or_file_corpus_is_an_error_not_an_empty_index() {
    let dir = TestDir::new();
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    dir.create("file.md", "# 文件\n\n不是文件夹。\n");
    for (corpus, says) in [
        ("missing", "cannot open corpus folder 'missing'"),
        ("empty", "has no articles"),
        ("file.md", "is not a folder"),
    ] {
        dir.zhsearch()
            .args(["index", "--corpus", corpus])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(says).and(predicate::str::contains("panicked").not()));
        assert!(!dir.path().join("index/meta.json").exists(), "{corpus}");
    }
}

// See: issue #10: names that are not UTF-8 shared one id (`x�.md`), so one
// of the articles could not be found and the index was stale forever.
#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_are_told_apart() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = TestDir::new();
    dir.create("corpus/plain.md", "# 普通\n\n普通的文件名没有变化。\n");
    for (name, text) in [
        (b"x\xff.md".as_slice(), "# 甲\n\n第一篇文章讲营业厅销户。\n"),
        (b"x\xfe.md".as_slice(), "# 乙\n\n第二篇文章讲在线解约。\n"),
        // A valid name spelled like the escape of the first.
        (br"x\xff.md".as_slice(), "# 丙\n\n第三篇文章讲护照办理。\n"),
    ] {
        let path = dir.path().join("corpus").join(OsStr::from_bytes(name));
        std::fs::write(path, text).unwrap();
    }
    let out = dir.index();
    assert!(out.contains("4 added"), "{out}");
    assert!(out.contains("0 skipped"), "{out}");
    for (query, path) in [
        ("\"第一篇\"", r"x\xff.md"),
        ("\"第二篇\"", r"x\xfe.md"),
        ("\"第三篇\"", r"x\\xff.md"),
        ("\"普通\"", "plain.md"),
    ] {
        let results = dir.search_json(&[query]);
        assert_eq!(results.total, 1, "{query}");
        assert_eq!(results.hits[0].path, path, "{query}");
    }
    // Nothing changed: nothing to do, and no stale notice.
    let out = dir.index();
    assert!(
        out.contains("0 added, 0 updated, 0 removed, 4 unchanged"),
        "{out}"
    );
    let out = dir.zhsearch().args(["search", "销户"]).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains("changed since"), "{stderr}");
}
