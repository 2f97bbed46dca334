//! The measurement behind `corpus::decode`'s damaged-UTF-8 rule: how many
//! valid UTF-8 multi-byte sequences and invalid bytes real text has in each
//! legacy encoding, and in UTF-8 with a few bad bytes.
//!
//! `cargo run --example utf8_census -- [CORPUS_DIR] [--binaries FILE…]`
//!
//! With `--binaries`, it also decodes the given files (PNG, ELF, zip…) and
//! lists any that are not refused as binary, to check the UTF-16 sniff.

use std::path::PathBuf;

use encoding_rs::{BIG5, EUC_KR, Encoding, GB18030, GBK, SHIFT_JIS, WINDOWS_1252};
use zhsearch::corpus::SkipReason;
use zhsearch::corpus::decode::{
    BOM_MAX_INVALID_PER_MILLE, MULTIBYTE_PER_INVALID, decode, utf8_census,
};

const TRADITIONAL: &str = "\
# 日本電話卡如何註銷？

在日本生活或旅行時，電話卡是必不可少的工具。無論是SIM卡還是eSIM卡，它們都為我們的日常生活提供了極大的便利。然而，當你結束在日本的旅程或者不再需要使用日本電話卡時，註銷卡就顯得尤為重要了。註銷電話卡不僅可以避免不必要的費用產生，還能保護你的個人信息安全。

## 一、註銷前的準備

請先確認合約期限與違約金，備份通訊錄與照片，並解除與銀行、社群網站綁定的手機號碼。若有分期購買的手機，需要先結清剩餘款項。

## 二、門市辦理

攜帶護照、在留卡與簽約時使用的信用卡，前往營業廳辦理銷戶手續。工作人員會核對身份，並請你在文件上簽名。辦理時間大約三十分鐘，週末人多，建議平日前往。

## 三、線上辦理

部分電信公司支援線上註銷：登入會員網站，選擇「解約」，依照畫面指示輸入密碼與驗證碼即可。完成後會收到確認郵件，請妥善保存。
";

const JAPANESE: &str = "\
# 日本の携帯電話を解約する方法

日本で生活したり旅行したりするとき、携帯電話は欠かせない道具です。SIMカードでもeSIMでも、帰国する前やもう使わなくなったときには、きちんと解約しておくことが大切です。解約しておけば、不要な料金の発生を防ぎ、個人情報も守ることができます。

## 店舗で解約する

パスポート、在留カード、契約時のクレジットカードを持って店舗に行きます。本人確認のあと、書類に署名すれば手続きは完了です。週末は混雑するので、平日に行くのがおすすめです。

## オンラインで解約する

会員サイトにログインし、「解約」を選んで画面の指示に従い、暗証番号と確認コードを入力します。完了すると確認メールが届きます。
";

const KOREAN: &str = "\
# 일본 휴대폰 해지 방법

일본에서 생활하거나 여행할 때 휴대폰은 꼭 필요한 도구입니다. 귀국하기 전이나 더 이상 사용하지 않을 때에는 반드시 해지해야 불필요한 요금을 막고 개인 정보를 보호할 수 있습니다.

## 매장에서 해지하기

여권, 재류카드, 계약할 때 사용한 신용카드를 가지고 매장을 방문합니다. 본인 확인 후 서류에 서명하면 절차가 끝납니다. 주말에는 사람이 많으니 평일 방문을 권합니다.

## 온라인으로 해지하기

회원 사이트에 로그인하여 해지를 선택하고 화면의 안내에 따라 비밀번호와 인증 코드를 입력합니다.
";

const FRENCH: &str = "\
# Résilier une carte SIM au Japon

Avant de quitter le Japon, il est préférable de résilier sa carte SIM ou son eSIM : on évite des frais inutiles et l'on protège ses données personnelles. Munissez-vous de votre passeport, de votre carte de résident et de la carte bancaire utilisée à la souscription.

## En boutique

Présentez-vous au guichet ; l'employé vérifie votre identité, puis vous signez le formulaire de résiliation. Comptez une demi-heure, davantage le week-end.
";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "corpus".into()));
    let mut simplified = String::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&corpus)?
        .map(|e| Ok(e?.path()))
        .collect::<std::io::Result<_>>()?;
    paths.sort();
    for path in &paths {
        simplified.push_str(&std::fs::read_to_string(path)?);
    }
    println!(
        "rule: damaged UTF-8 when multibyte >= {MULTIBYTE_PER_INVALID} x invalid; with a BOM also when invalid <= {BOM_MAX_INVALID_PER_MILLE} per mille\n"
    );
    println!(
        "{:<46} {:>8} {:>9} {:>9} {:>12} {:>9}",
        "text / encoding", "bytes", "multibyte", "invalid", "multi/inval", "inval ‰"
    );
    let texts = [
        ("seed corpus (simplified)", simplified.as_str()),
        ("traditional", TRADITIONAL),
        ("japanese", JAPANESE),
        ("korean", KOREAN),
        ("french", FRENCH),
    ];
    let legacy: &[(&str, &[&'static Encoding])] = &[
        ("seed corpus (simplified)", &[GBK, GB18030]),
        ("traditional", &[BIG5, GBK, GB18030]),
        ("japanese", &[SHIFT_JIS]),
        ("korean", &[EUC_KR]),
        ("french", &[WINDOWS_1252]),
    ];
    let mut worst_legacy: f64 = 0.0;
    let mut worst_share: f64 = f64::MAX;
    for &(label, encodings) in legacy {
        let text = texts
            .iter()
            .find(|t| t.0 == label)
            .map(|t| t.1)
            .unwrap_or_default();
        for encoding in encodings {
            let (bytes, _, unmappable) = encoding.encode(text);
            let census = utf8_census(&bytes);
            let ratio = census.multibyte as f64 / census.invalid.max(1) as f64;
            let share = census.invalid as f64 * 1000.0 / bytes.len() as f64;
            worst_legacy = worst_legacy.max(ratio);
            worst_share = worst_share.min(share);
            let name = format!(
                "{label} / {}{}",
                encoding.name(),
                if unmappable { " (lossy)" } else { "" }
            );
            println!(
                "{name:<46} {:>8} {:>9} {:>9} {ratio:>12.3} {share:>9.1}{}",
                bytes.len(),
                census.multibyte,
                census.invalid,
                if census.is_damaged_utf8() {
                    "  DAMAGED?!"
                } else {
                    ""
                }
            );
        }
    }
    let mut best_damaged = f64::MAX;
    for (label, text) in texts.iter().take(4) {
        // One stray 0xFF per kilobyte (at least one), and a file cut mid-character.
        let every = (text.len() / 2).clamp(1, 1024);
        let mut stray = Vec::new();
        for chunk in text.as_bytes().chunks(every) {
            stray.extend_from_slice(chunk);
            if chunk.len() == every {
                stray.push(0xFF);
            }
        }
        let cut_at = text
            .char_indices()
            .rfind(|(_, c)| c.len_utf8() == 3)
            .map_or(0, |(i, _)| i + 1);
        for (kind, bytes) in [
            ("stray 0xFF per KB", stray),
            ("cut mid-character", text.as_bytes()[..cut_at].to_vec()),
        ] {
            let census = utf8_census(&bytes);
            let ratio = census.multibyte as f64 / (census.invalid - census.truncated).max(1) as f64;
            best_damaged = best_damaged.min(ratio);
            println!(
                "{:<46} {:>8} {:>9} {:>9} {ratio:>12.1} {:>9.1}{}",
                format!("{label} / UTF-8, {kind}"),
                bytes.len(),
                census.multibyte,
                census.invalid,
                census.invalid as f64 * 1000.0 / bytes.len() as f64,
                if census.is_damaged_utf8() {
                    ""
                } else {
                    "  NOT DAMAGED?!"
                }
            );
        }
    }
    println!("\nmost multibyte per invalid byte in legacy text: {worst_legacy:.3}");
    println!("fewest invalid bytes per mille in legacy CJK/Latin text: {worst_share:.1}");
    println!(
        "fewest multibyte per invalid byte in damaged UTF-8 (stray byte per KB): {best_damaged:.1}"
    );
    if args.next().as_deref() == Some("--binaries") {
        let (mut refused, mut read) = (0, Vec::new());
        for path in args {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            match decode(bytes) {
                Err(SkipReason::Binary) => refused += 1,
                other => read.push((path, other.map(|d| d.encoding))),
            }
        }
        println!(
            "\nbinaries refused as binary: {refused}; not refused as binary: {}",
            read.len()
        );
        for (path, how) in read {
            println!("  {path}: {how:?}");
        }
    }
    Ok(())
}
