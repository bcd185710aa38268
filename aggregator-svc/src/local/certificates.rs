//! CertificateService of the rack manager: where its certificates are, and replacing the HTTPS
//! certificate clients see (GenerateCSR, then ReplaceCertificate with the signed certificate, or
//! ReplaceCertificate with a certificate and its PKCS#8 key). The work is in
//! [`crate::rack::tls_rotation`]; replacement is offered when both `tls_certificate` and
//! `tls_key` are configured.

use super::action::ActionBody;
use super::manager::{https_certificate_collections, https_certificate_uri};
use super::{Ctx, link, links, reply};
use crate::error::AggError;
use crate::exchange::Reply;
use crate::rack::cert;
use crate::rack::tls_rotation::{self, CsrRequest, RotationError, TlsFiles};
use http::Method;
use redfish::events::EventMessage;
use redfish::messages::Message;
use serde_json::{Value, json};

pub const ROOT: &str = "/redfish/v1/CertificateService";
const GENERATE_CSR: &str = "CertificateService.GenerateCSR";
const REPLACE: &str = "CertificateService.ReplaceCertificate";
const ACTION_INFO_TYPE: &str = "#ActionInfo.v1_4_0.ActionInfo";
const READ_ALLOW: &str = "GET, HEAD";
const POST_ALLOW: &str = "POST";
const CERTIFICATE_TYPES: &[&str] = &["PEM", "PEMchain"];
/// GenerateCSR's optional subject strings.
const SUBJECT_FIELDS: &[&str] = &[
    "Organization",
    "OrganizationalUnit",
    "City",
    "State",
    "Country",
    "Email",
    "GivenName",
    "Surname",
    "Initials",
];

/// `/redfish/v1/CertificateService[/...]`.
pub async fn serve(ctx: &Ctx<'_>, rest: &[&str]) -> Result<Reply, AggError> {
    let files = tls_files(ctx);
    match rest {
        // Without a configured key there is nothing to replace: neither action exists.
        ["Actions", action] if *action == GENERATE_CSR || *action == REPLACE => {
            let files = files.ok_or_else(|| ctx.not_found())?;
            reply::only(ctx.ex, &[Method::POST], POST_ALLOW)?;
            if *action == GENERATE_CSR {
                generate_csr(ctx)
            } else {
                replace(ctx, &files).await
            }
        }
        _ => {
            reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ_ALLOW)?;
            let body = match rest {
                [] => service_body(files.is_some()),
                ["CertificateLocations"] => locations_body(ctx),
                ["GenerateCSRActionInfo"] if files.is_some() => csr_action_info(ctx),
                ["ReplaceCertificateActionInfo"] if files.is_some() => replace_action_info(ctx),
                _ => return Err(ctx.not_found()),
            };
            reply::json(ctx.ex, &body, READ_ALLOW)
        }
    }
}

fn tls_files(ctx: &Ctx<'_>) -> Option<TlsFiles> {
    let m = &ctx.s.manager;
    match (&m.tls_certificate, &m.tls_key) {
        (Some(certificate), Some(key)) if m.enabled => Some(TlsFiles {
            certificate: certificate.clone(),
            key: key.clone(),
        }),
        _ => None,
    }
}

fn service_body(replaceable: bool) -> Value {
    let mut body = json!({
        "@odata.id": ROOT,
        "@odata.type": "#CertificateService.v1_0_5.CertificateService",
        "Id": "CertificateService",
        "Name": "Certificate Service",
        "Description": "Certificates of the rack manager: the HTTPS certificate clients see (Apache's) can be replaced here. Each server's BMC has its own CertificateService under /redfish/v1/Oem/RedDrum/Bmcs/<bmc>/CertificateService.",
        "CertificateLocations": link(&format!("{ROOT}/CertificateLocations")),
    });
    if replaceable {
        body["Actions"] = json!({
            format!("#{GENERATE_CSR}"): {
                "target": format!("{ROOT}/Actions/{GENERATE_CSR}"),
                "@Redfish.ActionInfo": format!("{ROOT}/GenerateCSRActionInfo"),
            },
            format!("#{REPLACE}"): {
                "target": format!("{ROOT}/Actions/{REPLACE}"),
                "@Redfish.ActionInfo": format!("{ROOT}/ReplaceCertificateActionInfo"),
            },
        });
    }
    body
}

fn locations_body(ctx: &Ctx<'_>) -> Value {
    let installed = ctx.s.manager.enabled
        && ctx
            .s
            .manager
            .tls_certificate
            .as_ref()
            .is_some_and(|p| p.is_file());
    let certificates: Vec<String> = if installed {
        vec![https_certificate_uri(&ctx.s.manager.id)]
    } else {
        Vec::new()
    };
    json!({
        "@odata.id": format!("{ROOT}/CertificateLocations"),
        "@odata.type": "#CertificateLocations.v1_0_4.CertificateLocations",
        "Id": "CertificateLocations",
        "Name": "Certificate Locations",
        "Links": {"Certificates": links(&certificates)},
    })
}

fn parameter(name: &str, required: bool, data_type: &str) -> Value {
    json!({"Name": name, "Required": required, "DataType": data_type})
}

fn csr_action_info(ctx: &Ctx<'_>) -> Value {
    let collections = https_certificate_collections(&ctx.s.manager.id);
    let mut params = vec![
        json!({"Name": "CertificateCollection", "Required": true, "DataType": "Object",
               "ObjectDataType": "#CertificateCollection.CertificateCollection",
               "AllowableValues": collections}),
        parameter("CommonName", true, "String"),
        parameter("AlternativeNames", false, "StringArray"),
    ];
    for name in SUBJECT_FIELDS {
        params.push(parameter(name, false, "String"));
    }
    params.push(
        json!({"Name": "KeyPairAlgorithm", "Required": false, "DataType": "String",
                       "AllowableValues": tls_rotation::KEY_ALGORITHMS}),
    );
    params.push(
        json!({"Name": "KeyCurveId", "Required": false, "DataType": "String",
                       "AllowableValues": tls_rotation::KEY_CURVES}),
    );
    params.push(
        json!({"Name": "KeyUsage", "Required": false, "DataType": "StringArray",
                       "AllowableValues": KEY_USAGES}),
    );
    json!({
        "@odata.id": format!("{ROOT}/GenerateCSRActionInfo"),
        "@odata.type": ACTION_INFO_TYPE,
        "Id": "GenerateCSRActionInfo",
        "Name": "GenerateCSR Action Info",
        "Parameters": params,
    })
}

const KEY_USAGES: &[&str] = &[
    "DigitalSignature",
    "NonRepudiation",
    "KeyEncipherment",
    "DataEncipherment",
    "KeyAgreement",
    "ServerAuthentication",
    "ClientAuthentication",
];

fn replace_action_info(ctx: &Ctx<'_>) -> Value {
    json!({
        "@odata.id": format!("{ROOT}/ReplaceCertificateActionInfo"),
        "@odata.type": ACTION_INFO_TYPE,
        "Id": "ReplaceCertificateActionInfo",
        "Name": "ReplaceCertificate Action Info",
        "Parameters": [
            parameter("CertificateString", true, "String"),
            {"Name": "CertificateType", "Required": true, "DataType": "String",
             "AllowableValues": CERTIFICATE_TYPES},
            {"Name": "CertificateUri", "Required": true, "DataType": "Object",
             "ObjectDataType": "#Certificate.Certificate",
             "AllowableValues": [https_certificate_uri(&ctx.s.manager.id)]},
        ],
    })
}

fn rotation_error(e: RotationError, action: &str, value: &str) -> AggError {
    tracing::warn!(action, error = %e, "certificate request refused");
    let message = match &e {
        RotationError::Format { parameter, .. } => {
            Message::action_parameter_value_format_error(value, parameter, action)
        }
        RotationError::Invalid { parameter, .. } => {
            Message::action_parameter_value_error(parameter, action)
        }
    };
    AggError::BadRequest { message }
}

/// A PEM text shortened for an error message (the whole certificate would drown it).
fn excerpt(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut out: String = line.chars().take(40).collect();
    if text.len() > out.len() {
        out.push_str("...");
    }
    out
}

fn generate_csr(ctx: &Ctx<'_>) -> Result<Reply, AggError> {
    let known: Vec<&str> = [
        "CertificateCollection",
        "CommonName",
        "AlternativeNames",
        "KeyPairAlgorithm",
        "KeyCurveId",
        "KeyBitLength",
        "KeyUsage",
        "ChallengePassword",
        "ContactPerson",
        "UnstructuredName",
    ]
    .into_iter()
    .chain(SUBJECT_FIELDS.iter().copied())
    .collect();
    let body = ActionBody::parse(&ctx.ex.body, GENERATE_CSR, &known)?;
    // Attributes a PKCS#10 request could carry but this service does not put in one.
    for unsupported in ["ChallengePassword", "ContactPerson", "UnstructuredName"] {
        body.refuse(unsupported)?;
    }
    let collection = body.required_link("CertificateCollection")?;
    let collections = https_certificate_collections(&ctx.s.manager.id);
    if !collections.contains(&collection) {
        return Err(AggError::BadRequest {
            message: Message::action_parameter_value_error("CertificateCollection", GENERATE_CSR),
        });
    }
    body.one_of("KeyPairAlgorithm", tls_rotation::KEY_ALGORITHMS)?;
    let key_curve = body.one_of("KeyCurveId", tls_rotation::KEY_CURVES)?;
    if let Some(bits) = body.integer("KeyBitLength")? {
        let expected = match key_curve.as_deref() {
            Some("TPM_ECC_NIST_P384") => 384,
            _ => 256,
        };
        if bits != expected {
            return Err(AggError::BadRequest {
                message: Message::action_parameter_value_not_in_list(
                    &bits.to_string(),
                    "KeyBitLength",
                    GENERATE_CSR,
                ),
            });
        }
    }
    let key_usage = body.strings("KeyUsage")?;
    for usage in &key_usage {
        if !KEY_USAGES.contains(&usage.as_str()) {
            return Err(AggError::BadRequest {
                message: Message::action_parameter_value_not_in_list(
                    usage,
                    "KeyUsage",
                    GENERATE_CSR,
                ),
            });
        }
    }
    let request = CsrRequest {
        common_name: body.required_string("CommonName")?,
        alternative_names: body.strings("AlternativeNames")?,
        organization: body.string("Organization")?,
        organizational_unit: body.string("OrganizationalUnit")?,
        city: body.string("City")?,
        state: body.string("State")?,
        country: body.string("Country")?,
        email: body.string("Email")?,
        given_name: body.string("GivenName")?,
        surname: body.string("Surname")?,
        initials: body.string("Initials")?,
        key_curve,
        key_usage,
    };
    let (csr, key) = tls_rotation::generate_csr(&request).map_err(|e| {
        let value = match &e {
            RotationError::Format { parameter, .. } => body.text_of(parameter),
            RotationError::Invalid { .. } => String::new(),
        };
        rotation_error(e, GENERATE_CSR, &value)
    })?;
    let state_dir = ctx.state.config().state_dir.clone();
    tls_rotation::save_pending_key(&state_dir, &key)
        .map_err(|e| AggError::Internal(format!("saving the CSR key: {e}")))?;
    tracing::info!(user = %ctx.ex.user, common_name = %request.common_name, "certificate signing request generated");
    let body = json!({
        "CSRString": csr,
        "CertificateCollection": link(&collection),
    });
    let mut reply = reply::json(ctx.ex, &body, POST_ALLOW)?;
    reply.headers.retain(|(name, _)| name != http::header::ETAG);
    Ok(reply)
}

async fn replace(ctx: &Ctx<'_>, files: &TlsFiles) -> Result<Reply, AggError> {
    let body = ActionBody::parse(
        &ctx.ex.body,
        REPLACE,
        &[
            "CertificateString",
            "CertificateType",
            "CertificateUri",
            "Password",
        ],
    )?;
    body.refuse("Password")?;
    let certificate_string = body.required_string("CertificateString")?;
    let certificate_type = body.required_string("CertificateType")?;
    if !CERTIFICATE_TYPES.contains(&certificate_type.as_str()) {
        return Err(AggError::BadRequest {
            message: Message::action_parameter_value_not_in_list(
                &certificate_type,
                "CertificateType",
                REPLACE,
            ),
        });
    }
    let target = body.required_link("CertificateUri")?;
    let manager = &ctx.s.manager.id;
    let known: Vec<String> = https_certificate_collections(manager)
        .iter()
        .map(|c| format!("{c}/{}", super::manager::TLS_CERT_ID))
        .collect();
    if !known.contains(&target) {
        return Err(AggError::BadRequest {
            message: Message::action_parameter_value_error("CertificateUri", REPLACE),
        });
    }
    let state_dir = ctx.state.config().state_dir.clone();
    let pending = tls_rotation::pending_key(&state_dir);
    let replacement = tls_rotation::prepare(&certificate_string, pending.as_deref())
        .map_err(|e| rotation_error(e, REPLACE, &excerpt(&certificate_string)))?;
    files.install(&replacement).map_err(|e| {
        AggError::Internal(format!(
            "writing {} and {}: {e}",
            files.certificate.display(),
            files.key.display()
        ))
    })?;
    if replacement.from_pending {
        tls_rotation::clear_pending_key(&state_dir);
    }
    let mut described = cert::describe(&replacement.chain_pem)
        .map_err(|e| AggError::Internal(format!("describing the new certificate: {e}")))?;
    tracing::info!(
        user = %ctx.ex.user,
        subject = %described["Subject"],
        not_after = %described["ValidNotAfter"],
        "HTTPS certificate replaced"
    );
    ctx.state
        .rack
        .log
        .record(
            EventMessage::resource_changed(),
            Some(https_certificate_uri(manager)),
        )
        .await;
    described["@odata.id"] = target.clone().into();
    described["Id"] = super::manager::TLS_CERT_ID.into();
    let mut reply = reply::json(ctx.ex, &described, POST_ALLOW)?;
    if let Ok(location) = http::HeaderValue::from_str(&target) {
        reply.headers.push((http::header::LOCATION, location));
    }
    Ok(reply)
}
