//! Attached files over real HTTP on both backends: multipart upload,
//! refusals with clear errors, lists, hiding, and signed downloads that open
//! (200, in the history), refuse a tampered link (404 page), an expired one
//! (410) and a hidden file's (410), without a token.

use relance_engine::links::{Signer, file_path};
use relance_engine::store::history;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::{Api, LINK_KEY, OPERATOR, VIEWER};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

fn form(name: &str, content: &[u8]) -> Form {
    Form::new()
        .text("share", "customer")
        .text("description", "signed copy")
        .part(
            "file",
            Part::bytes(content.to_vec()).file_name(name.to_string()),
        )
}

async fn upload(api: &Api, path: &str, form: Form) -> crate::support::Answer {
    api.send(
        api.request(Method::POST, path, Some(OPERATOR))
            .multipart(form),
    )
    .await
}

/// A path and query from an absolute link of this server.
fn local(api: &Api, link: &str) -> String {
    link.strip_prefix(&api.base).unwrap_or(link).to_string()
}

async fn files_are_uploaded_listed_hidden_and_downloaded_by_signed_links(api: Api) {
    let created = upload(&api, "/items/C1/INV-1/files", form("inv.pdf", PDF)).await;
    let created = created.ok(201).clone();
    let file = &created[0];
    assert_eq!(file["item"], "C1/INV-1");
    assert_eq!(file["content_type"], "application/pdf");
    assert_eq!(file["visibility"], "customer");
    assert_eq!(file["description"], "signed copy");
    assert_eq!(file["uploaded_by"], "api:ci");
    let id = file["id"].as_i64().expect("an id");
    let link = file["link"].as_str().expect("a link").to_string();
    assert!(
        link.starts_with(&format!("{}/files/{id}/download?exp=", api.base)),
        "{link}"
    );

    // Refusals say what is wrong.
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";
    let refused = upload(&api, "/items/C1/INV-1/files", form("x.pdf", exe)).await;
    let message = refused.assert_error(415, "unsupported_media_type");
    assert!(message.contains("is not a pdf file"), "{message}");
    let refused = upload(&api, "/items/C1/INV-1/files", form("x.exe", b"MZ")).await;
    let message = refused.assert_error(415, "unsupported_media_type");
    assert!(
        message.contains("not a type that can be attached"),
        "{message}"
    );
    let refused = upload(&api, "/items/C1/NOPE/files", form("a.pdf", PDF)).await;
    refused.assert_error(404, "not_found");
    let big = vec![b'a'; 51 * 1024 * 1024];
    let refused = upload(&api, "/items/C1/INV-1/files", form("big.txt", &big)).await;
    let message = refused.assert_error(413, "too_large");
    assert!(message.contains("50 MB"), "{message}");
    let refused = api
        .send(
            api.request(Method::POST, "/items/C1/INV-1/files", Some(OPERATOR))
                .json(&json!({})),
        )
        .await;
    refused.assert_error(415, "unsupported_media_type");

    let listed = api.get("/items/C1/INV-1/files", VIEWER).await;
    assert_eq!(listed.ok(200).as_array().map(Vec::len), Some(1));
    let account = api.get("/accounts/C1/files", VIEWER).await;
    assert_eq!(account.ok(200).as_array().map(Vec::len), Some(1));

    // The link opens without a token; the download is in the history.
    let got = api
        .client
        .get(format!("{}{}", api.base, local(&api, &link)))
        .send()
        .await
        .expect("an answer");
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"inv.pdf\"")
    );
    assert_eq!(got.bytes().await.expect("a body").as_ref(), PDF);
    let mut tx = api.store.begin().await.expect("tx");
    let downloads = history::history_of(&mut tx, "C1")
        .await
        .expect("history")
        .into_iter()
        .filter(|e| e.kind == "file_downloaded")
        .count();
    tx.rollback().await.expect("rollback");
    assert_eq!(downloads, 1);

    // Tampered: another file's id, or a changed expiry → 404 page, no file.
    let tampered = local(&api, &link).replace(&format!("/files/{id}/"), "/files/999/");
    let answer = api.send(api.request(Method::GET, &tampered, None)).await;
    assert_eq!(answer.status, 404, "{}", answer.text);
    assert!(answer.content_type.starts_with("text/html"));
    assert!(answer.text.contains("not valid"));
    let later = local(&api, &link).replace("exp=", "exp=9");
    let answer = api.send(api.request(Method::GET, &later, None)).await;
    assert_eq!(answer.status, 404);

    // Expired: signed with the server's key, but in the past → 410.
    let signer = Signer::new(LINK_KEY).expect("the key");
    let past = chrono::Utc::now().timestamp() - 60;
    let expired = format!("{}?{}", file_path(id), signer.query(&file_path(id), past));
    let answer = api.send(api.request(Method::GET, &expired, None)).await;
    assert_eq!(answer.status, 410, "{}", answer.text);
    assert!(answer.text.contains("expired"));

    // Hidden: its links die at once, and it leaves the list.
    let hidden = api
        .send(
            api.request(Method::PATCH, &format!("/files/{id}"), Some(OPERATOR))
                .json(&json!({"hidden": true, "description": "withdrawn"})),
        )
        .await;
    let hidden = hidden.ok(200);
    assert_eq!(hidden["hidden"], true);
    assert_eq!(hidden["link"], Value::Null);
    let answer = api
        .send(api.request(Method::GET, &local(&api, &link), None))
        .await;
    assert_eq!(answer.status, 410, "{}", answer.text);
    assert!(answer.text.contains("no longer available"));
    let listed = api.get("/items/C1/INV-1/files", VIEWER).await;
    assert_eq!(listed.ok(200), &json!([]));
    let all = api.get("/items/C1/INV-1/files?all=true", VIEWER).await;
    assert_eq!(all.ok(200).as_array().map(Vec::len), Some(1));
    let bad = api
        .send(
            api.request(Method::PATCH, &format!("/files/{id}"), Some(OPERATOR))
                .json(&json!({"visibility": "public"})),
        )
        .await;
    bad.assert_error(422, "invalid_file");
    let missing = api
        .send(
            api.request(Method::PATCH, "/files/999", Some(OPERATOR))
                .json(&json!({"hidden": true})),
        )
        .await;
    missing.assert_error(404, "not_found");
    api.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_over_http_on_sqlite() {
    files_are_uploaded_listed_hidden_and_downloaded_by_signed_links(Api::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_over_http_on_postgres() {
    if let Some(api) = Api::postgres().await {
        files_are_uploaded_listed_hidden_and_downloaded_by_signed_links(api).await;
    }
}
