//! Tracks as files other tools read: NumPy `.npz` (`np.load`) and `.safetensors`
//! (`safetensors.numpy.load_file`, and segmo's own loaders). Both are built in memory, so the
//! browser can offer them as downloads too.
//!
//! Arrays: `xy` f32 [T, N, 2] (pixels, pixel centres at integers), `visible` bool [T, N],
//! `confidence` f32 [T, N], `query_frame` i32 [N], plus `size` i32 [2] = (width, height).

use super::Tracks;
use crate::synth::export::{crc32, npy};

/// The arrays, in file order: (name, dtype tag for safetensors, shape, little-endian bytes).
fn arrays(t: &Tracks) -> Vec<(&'static str, &'static str, Vec<usize>, Vec<u8>)> {
    let f32s = |v: &mut dyn Iterator<Item = f32>| v.flat_map(f32::to_le_bytes).collect::<Vec<u8>>();
    let i32s = |v: &mut dyn Iterator<Item = i32>| v.flat_map(i32::to_le_bytes).collect::<Vec<u8>>();
    vec![
        ("xy", "F32", vec![t.frames, t.n, 2], f32s(&mut t.xy.iter().flatten().copied())),
        ("visible", "BOOL", vec![t.frames, t.n], t.visible.iter().map(|&v| v as u8).collect()),
        ("confidence", "F32", vec![t.frames, t.n], f32s(&mut t.confidence.iter().copied())),
        ("query_frame", "I32", vec![t.n], i32s(&mut t.query_frame.iter().map(|&q| q as i32))),
        ("size", "I32", vec![2], i32s(&mut [t.width as i32, t.height as i32].into_iter())),
    ]
}

/// A `.safetensors` file: 8-byte header length, JSON header, raw data.
pub fn to_safetensors(t: &Tracks) -> Vec<u8> {
    let arrays = arrays(t);
    let mut header = String::from("{\"__metadata__\":{\"format\":\"segmo-tracks\"}");
    let mut offset = 0usize;
    for (name, dtype, shape, bytes) in &arrays {
        let shape: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        header += &format!(
            ",\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{offset},{}]}}",
            shape.join(","),
            offset + bytes.len()
        );
        offset += bytes.len();
    }
    header.push('}');
    // Data is 8-byte aligned in files written by the reference implementation; pad the header.
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    for (_, _, _, bytes) in arrays {
        out.extend_from_slice(&bytes);
    }
    out
}

/// A `.npz`: a zip archive of `.npy` members, stored without compression (as `np.savez`).
pub fn to_npz(t: &Tracks) -> Vec<u8> {
    let members: Vec<(String, Vec<u8>)> = arrays(t)
        .into_iter()
        .map(|(name, dtype, shape, bytes)| {
            let data = match dtype {
                "F32" => npy(&shape, &le_f32(&bytes)),
                "I32" => npy(&shape, &le_i32(&bytes)),
                _ => npy(&shape, &bytes.iter().map(|&b| b != 0).collect::<Vec<bool>>()),
            };
            (format!("{name}.npy"), data)
        })
        .collect();
    zip_stored(&members)
}

fn le_f32(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
}

fn le_i32(b: &[u8]) -> Vec<i32> {
    b.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
}

/// Zip with stored members; ZIP64 is not written, so the archive must stay under 4 GiB (tracks
/// of 5,000 points over 10,000 frames are ~0.5 GiB).
fn zip_stored(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        // Version 20, no flags, method 0 (stored), DOS time/date 1980-01-01 00:00.
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&0x21u16.to_le_bytes());
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        common(&mut central);
        // Comment length, disk number, internal and external attributes, local header offset.
        central.extend_from_slice(&[0u8; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracks() -> Tracks {
        let (frames, n) = (3, 2);
        Tracks {
            frames,
            n,
            width: 17,
            height: 9,
            xy: (0..frames * n).map(|i| [i as f32 + 0.5, -(i as f32)]).collect(),
            visible: vec![true, false, true, true, false, true],
            confidence: vec![1.0, 0.0, 0.75, 0.5, 0.0, 0.25],
            query_frame: vec![0, 2],
        }
    }

    fn u32_at(b: &[u8], p: usize) -> u32 {
        u32::from_le_bytes(b[p..p + 4].try_into().unwrap())
    }

    fn u16_at(b: &[u8], p: usize) -> usize {
        u16::from_le_bytes(b[p..p + 2].try_into().unwrap()) as usize
    }

    #[test]
    fn safetensors_header_and_data_agree() {
        let t = tracks();
        let f = to_safetensors(&t);
        let hl = u64::from_le_bytes(f[..8].try_into().unwrap()) as usize;
        assert_eq!(hl % 8, 0);
        let header = std::str::from_utf8(&f[8..8 + hl]).unwrap();
        assert!(header.contains("\"xy\":{\"dtype\":\"F32\",\"shape\":[3,2,2],\"data_offsets\":[0,48]}"), "{header}");
        assert!(header.contains("\"visible\":{\"dtype\":\"BOOL\",\"shape\":[3,2],\"data_offsets\":[48,54]}"), "{header}");
        assert!(header.contains("\"size\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[86,94]}"), "{header}");
        let data = &f[8 + hl..];
        assert_eq!(data.len(), 94);
        assert_eq!(le_f32(&data[..8]), vec![0.5, 0.0]);
        assert_eq!(&data[48..54], &[1, 0, 1, 1, 0, 1]);
        assert_eq!(le_i32(&data[78..94]), vec![0, 2, 17, 9]);
    }

    /// Walks the archive through its central directory as a zip reader does, checking every
    /// member's CRC and that it holds the expected .npy.
    #[test]
    fn npz_is_a_valid_stored_zip() {
        let t = tracks();
        let z = to_npz(&t);
        let eocd = z.len() - 22;
        assert_eq!(u32_at(&z, eocd), 0x0605_4b50);
        let count = u16_at(&z, eocd + 10);
        assert_eq!(count, 5);
        let mut p = u32_at(&z, eocd + 16) as usize;
        let mut names = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(&z, p), 0x0201_4b50);
            let (crc, size) = (u32_at(&z, p + 16), u32_at(&z, p + 20) as usize);
            let name_len = u16_at(&z, p + 28);
            let name = std::str::from_utf8(&z[p + 46..p + 46 + name_len]).unwrap().to_string();
            let local = u32_at(&z, p + 42) as usize;
            assert_eq!(u32_at(&z, local), 0x0403_4b50);
            let data_at = local + 30 + u16_at(&z, local + 26) + u16_at(&z, local + 28);
            let data = &z[data_at..data_at + size];
            assert_eq!(crc32(data), crc, "{name}");
            assert_eq!(&data[..6], b"\x93NUMPY");
            p += 46 + name_len;
            names.push(name);
        }
        assert_eq!(names, ["xy.npy", "visible.npy", "confidence.npy", "query_frame.npy", "size.npy"]);
        let qf = npy(&[2], &[0i32, 2]);
        assert!(z.windows(qf.len()).any(|w| w == qf.as_slice()), "query_frame.npy content");
    }
}
