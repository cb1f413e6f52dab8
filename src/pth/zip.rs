//! The stored (uncompressed) zip archives `torch.save` writes, read in place from bytes:
//! the central directory, zip64 records for files over 4 GiB (ViT-g/14 is 4.5 GB in f32).

use crate::weights::WeightsError;
use std::collections::BTreeMap;

fn fmt(m: String) -> WeightsError {
    WeightsError::Format(format!("torch checkpoint: {m}"))
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, WeightsError> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| fmt(format!("truncated at byte {at}")))
}
fn u32_at(b: &[u8], at: usize) -> Result<u32, WeightsError> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes(s.try_into().unwrap())).ok_or_else(|| fmt(format!("truncated at byte {at}")))
}
fn u64_at(b: &[u8], at: usize) -> Result<u64, WeightsError> {
    b.get(at..at + 8).map(|s| u64::from_le_bytes(s.try_into().unwrap())).ok_or_else(|| fmt(format!("truncated at byte {at}")))
}

const EOCD: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && u32::from_le_bytes(bytes[..4].try_into().unwrap()) == LOCAL
}

/// Every entry's bytes by name.
pub fn entries(bytes: &[u8]) -> Result<BTreeMap<String, &[u8]>, WeightsError> {
    // The end record is in the last 64 KiB + 22 bytes (its comment is at most 65535 bytes).
    let search_from = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (search_from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(bytes, i).ok() == Some(EOCD))
        .ok_or_else(|| fmt("no zip end-of-directory record (truncated file?)".into()))?;
    let mut count = u16_at(bytes, eocd + 10)? as u64;
    let mut cd_offset = u32_at(bytes, eocd + 16)? as u64;
    if (cd_offset == 0xFFFF_FFFF || count == 0xFFFF) && eocd >= 20 && u32_at(bytes, eocd - 20)? == ZIP64_LOCATOR {
        let z = u64_at(bytes, eocd - 20 + 8)? as usize;
        if u32_at(bytes, z)? != ZIP64_EOCD {
            return Err(fmt("broken zip64 end record".into()));
        }
        count = u64_at(bytes, z + 32)?;
        cd_offset = u64_at(bytes, z + 48)?;
    }
    let mut out = BTreeMap::new();
    let mut at = cd_offset as usize;
    for _ in 0..count {
        if u32_at(bytes, at)? != CENTRAL {
            return Err(fmt(format!("bad central directory entry at byte {at}")));
        }
        let method = u16_at(bytes, at + 10)?;
        let mut size = u32_at(bytes, at + 20)? as u64;
        let name_len = u16_at(bytes, at + 28)? as usize;
        let extra_len = u16_at(bytes, at + 30)? as usize;
        let comment_len = u16_at(bytes, at + 32)? as usize;
        let mut local = u32_at(bytes, at + 42)? as u64;
        let name = String::from_utf8_lossy(bytes.get(at + 46..at + 46 + name_len).ok_or_else(|| fmt("truncated name".into()))?).into_owned();
        // zip64 extra field: the 64-bit values of whichever 32-bit fields are saturated, in order.
        let extra = bytes.get(at + 46 + name_len..at + 46 + name_len + extra_len).unwrap_or(&[]);
        let mut e = 0;
        while e + 4 <= extra.len() {
            let (id, len) = (u16_at(extra, e)?, u16_at(extra, e + 2)? as usize);
            if id == 1 {
                let mut f = e + 4;
                let uncompressed = u32_at(bytes, at + 24)?;
                if uncompressed == 0xFFFF_FFFF {
                    size = u64_at(extra, f)?;
                    f += 8;
                }
                if u32_at(bytes, at + 20)? == 0xFFFF_FFFF {
                    size = u64_at(extra, f)?;
                    f += 8;
                }
                if local == 0xFFFF_FFFF as u64 {
                    local = u64_at(extra, f)?;
                }
            }
            e += 4 + len;
        }
        if method != 0 {
            return Err(fmt(format!("entry {name} is compressed (method {method}); torch.save stores entries uncompressed")));
        }
        let l = local as usize;
        if u32_at(bytes, l)? != LOCAL {
            return Err(fmt(format!("entry {name}: bad local header")));
        }
        let start = l + 30 + u16_at(bytes, l + 26)? as usize + u16_at(bytes, l + 28)? as usize;
        let data = bytes
            .get(start..start + size as usize)
            .ok_or_else(|| fmt(format!("entry {name} runs past the end of the file (truncated?)")))?;
        out.insert(name, data);
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}
