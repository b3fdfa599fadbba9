//! The wall-clock day and time of an instant in an IANA time zone. The server reads
//! chrono-tz; the browser asks its own `Intl` (which carries the same tz database), so the
//! browser bundle holds no time zone tables: chrono-tz's are some 870 KB of data, and data
//! cannot be split out of the bundle's first load.

use crate::model::time::Timestamp;
use chrono::NaiveDate;

/// (day, hour, minute) at `at` in `zone`; None when the zone is not one the tz database knows.
#[cfg(not(all(feature = "hydrate", target_arch = "wasm32")))]
pub fn wall_clock(at: Timestamp, zone: &str) -> Option<(NaiveDate, u32, u32)> {
    use chrono::Timelike;
    let tz = zone.parse::<chrono_tz::Tz>().ok()?;
    let local = at.to_datetime().with_timezone(&tz);
    Some((local.date_naive(), local.hour(), local.minute()))
}

/// (day, hour, minute) at `at` in `zone`; None when the zone is not one the tz database knows.
#[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
pub fn wall_clock(at: Timestamp, zone: &str) -> Option<(NaiveDate, u32, u32)> {
    use js_sys::{Array, Date, Intl, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let options = Object::new();
    for (key, value) in [
        ("timeZone", zone),
        ("hourCycle", "h23"),
        ("year", "numeric"),
        ("month", "numeric"),
        ("day", "numeric"),
        ("hour", "numeric"),
        ("minute", "numeric"),
    ] {
        Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    // Constructed through Reflect, which catches the RangeError of an unknown zone.
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let class = Reflect::get(&intl, &"DateTimeFormat".into()).ok()?;
    let args = Array::of2(&"en-US".into(), &options);
    let class: &js_sys::Function = class.dyn_ref()?;
    let format: Intl::DateTimeFormat = Reflect::construct(class, &args).ok()?.unchecked_into();
    let date = Date::new(&JsValue::from_f64(at.0 as f64 * 1000.0));
    let (mut y, mut mo, mut d, mut h, mut mi) = (None, None, None, None, None);
    for part in format.format_to_parts(&date).iter() {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
        let slot = match kind.as_str() {
            "year" => &mut y,
            "month" => &mut mo,
            "day" => &mut d,
            "hour" => &mut h,
            "minute" => &mut mi,
            _ => continue,
        };
        *slot = value.parse::<u32>().ok();
    }
    let day = NaiveDate::from_ymd_opt(i32::try_from(y?).ok()?, mo?, d?)?;
    // Some engines still write midnight as 24 despite h23.
    Some((day, h? % 24, mi?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_in_their_zone() {
        // 2026-12-02 23:30 UTC is 02:30 the next day in Riyadh (UTC+3, no daylight saving)
        // and 00:30 in Paris (UTC+1 in winter); 2026-07-01 12:00 UTC is 14:00 in Paris.
        let at = Timestamp(1_796_254_200);
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(wall_clock(at, "Asia/Riyadh"), Some((day(2026, 12, 3), 2, 30)));
        assert_eq!(wall_clock(at, "Europe/Paris"), Some((day(2026, 12, 3), 0, 30)));
        assert_eq!(
            wall_clock(Timestamp(1_782_907_200), "Europe/Paris"),
            Some((day(2026, 7, 1), 14, 0))
        );
        assert_eq!(wall_clock(at, "Not/AZone"), None);
    }
}
