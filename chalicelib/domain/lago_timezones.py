"""The timezones Lago accepts for an organization or a customer: the zones of Rails' `ActiveSupport::TimeZone`
mapping (International Date Line West is Etc/GMT+12) with Lago's renames (Asia/Yangon, Europe/Kyiv, America/Nuuk:
getlago/lago-api app/support/timezones.rb), and UTC. Any other IANA name, an old alias such as Europe/Kiev
included, is 422 `invalid_timezone`, as in Lago."""
from __future__ import annotations

# One name per IANA zone, separated by white space.
LAGO_TIMEZONES = frozenset("""
    UTC Africa/Algiers Africa/Cairo Africa/Casablanca Africa/Harare Africa/Johannesburg Africa/Monrovia Africa/Nairobi
    America/Argentina/Buenos_Aires America/Bogota America/Caracas America/Chicago America/Chihuahua America/Denver
    America/Guatemala America/Guyana America/Halifax America/Indiana/Indianapolis America/Juneau America/La_Paz
    America/Lima America/Los_Angeles America/Mazatlan America/Mexico_City America/Monterrey America/Montevideo
    America/New_York America/Nuuk America/Phoenix America/Puerto_Rico America/Regina America/Santiago America/Sao_Paulo
    America/St_Johns America/Tijuana Asia/Almaty Asia/Baghdad Asia/Baku Asia/Bangkok Asia/Chongqing Asia/Colombo
    Asia/Dhaka Asia/Hong_Kong Asia/Irkutsk Asia/Jakarta Asia/Jerusalem Asia/Kabul Asia/Kamchatka Asia/Karachi
    Asia/Kathmandu Asia/Kolkata Asia/Krasnoyarsk Asia/Kuala_Lumpur Asia/Kuwait Asia/Magadan Asia/Muscat Asia/Novosibirsk
    Asia/Riyadh Asia/Seoul Asia/Shanghai Asia/Singapore Asia/Srednekolymsk Asia/Taipei Asia/Tashkent Asia/Tbilisi
    Asia/Tehran Asia/Tokyo Asia/Ulaanbaatar Asia/Urumqi Asia/Vladivostok Asia/Yakutsk Asia/Yangon Asia/Yekaterinburg
    Asia/Yerevan Atlantic/Azores Atlantic/Cape_Verde Atlantic/South_Georgia Australia/Adelaide Australia/Brisbane
    Australia/Darwin Australia/Hobart Australia/Melbourne Australia/Perth Australia/Sydney Europe/Amsterdam
    Europe/Athens Europe/Belgrade Europe/Berlin Europe/Bratislava Europe/Brussels Europe/Bucharest Europe/Budapest
    Europe/Copenhagen Europe/Dublin Europe/Helsinki Europe/Istanbul Europe/Kaliningrad Europe/Kyiv Europe/Lisbon
    Europe/Ljubljana Europe/London Europe/Madrid Europe/Minsk Europe/Moscow Europe/Paris Europe/Prague Europe/Riga
    Europe/Rome Europe/Samara Europe/Sarajevo Europe/Skopje Europe/Sofia Europe/Stockholm Europe/Tallinn Europe/Vienna
    Europe/Vilnius Europe/Volgograd Europe/Warsaw Europe/Zagreb Europe/Zurich Etc/GMT+12 Pacific/Apia Pacific/Auckland
    Pacific/Chatham Pacific/Fakaofo Pacific/Fiji Pacific/Guadalcanal Pacific/Guam Pacific/Honolulu Pacific/Majuro
    Pacific/Midway Pacific/Noumea Pacific/Pago_Pago Pacific/Port_Moresby Pacific/Tongatapu
""".split())
