"""XML → dict conversion with the result shapes of python3-nmap's
``NmapCommandParser`` (written from its documented behaviour)."""

__all__ = ["NmapCommandParser"]


def _attrs(el):
    return dict(el.attrib) if el is not None else None


class NmapCommandParser:
    """Turns an nmap XML document (an ``xml.etree.ElementTree`` element)
    into python3-nmap's dicts."""

    def __init__(self, xml_et=None):
        self.xml_et = xml_et
        self.port_result_dict = {}

    # ------------------------------------------------------------ whole runs
    def filter_top_ports(self, xmlroot):
        """Hosts keyed by their first address, plus ``runtime``, ``stats``
        and ``task_results``; used by almost every scan method."""
        result = self._hosts(xmlroot, with_state=True)
        self.port_result_dict = result
        return result

    def os_identifier_parser(self, xmlroot):
        """The result of ``nmap_os_detection``: as ``filter_top_ports``
        without the hosts' ``state``."""
        return self._hosts(xmlroot, with_state=False)

    def _hosts(self, xmlroot, with_state):
        result = {}
        for host in xmlroot.findall("host"):
            entry = {
                "osmatch": self.parse_os(host),
                "ports": self.parse_ports(host),
                "hostname": self.parse_hostnames(host),
                "macaddress": self.parse_mac_address(host),
            }
            if with_state:
                entry["state"] = self.get_hostname_state(host)
            result[self._host_key(host)] = entry
        self._add_run_keys(result, xmlroot)
        return result

    def filter_subdomains(self, xmlroot):
        """``nmap_dns_brute_script``: the records found by dns-brute, as a
        list of ``{"address": …, "hostname": …}``."""
        found = []
        host = xmlroot.find("host")
        if host is None:
            return found
        hostscript = host.find("hostscript")
        if hostscript is None:
            return found
        script = hostscript.find("script")
        if script is None:
            return found
        table = script.find("table")
        if table is None:
            return found
        for record in table.findall("table"):
            elems = record.findall("elem")
            if len(elems) >= 2:
                found.append({e.get("key"): e.text for e in elems[:2]})
        return found

    # ------------------------------------------------------------- pieces
    @staticmethod
    def _host_key(host):
        first = host.find("address")
        return first.get("addr") if first is not None else None

    def _add_run_keys(self, result, xmlroot):
        result["runtime"] = self.parse_runtime(xmlroot)
        result["stats"] = dict(xmlroot.attrib)
        result["task_results"] = self.parse_task_results(xmlroot)

    def parse_runtime(self, xml):
        return _attrs(xml.find("runstats/finished"))

    def parse_task_results(self, xml):
        return [dict(t.attrib) for t in xml.findall("taskend")]

    def get_hostname_state(self, xml):
        return _attrs(xml.find("status"))

    def parse_hostnames(self, host):
        return [dict(h.attrib) for h in host.findall("hostnames/hostname")]

    def parse_mac_address(self, host):
        for a in host.findall("address"):
            if a.get("addrtype") == "mac":
                return dict(a.attrib)
        return None

    def parse_os(self, host):
        os_el = host.find("os")
        if os_el is None:
            return {}
        matches = []
        for m in os_el.findall("osmatch"):
            item = dict(m.attrib)
            cpe = None
            osclass = None
            for c in m.findall("osclass"):
                osclass = dict(c.attrib)
                for cp in c.findall("cpe"):
                    cpe = cp.text
            if osclass is not None:
                item["osclass"] = osclass
            if cpe is not None:
                item["cpe"] = cpe
            matches.append(item)
        return matches

    def parse_ports(self, host):
        ports = []
        for port in host.findall("ports/port"):
            item = dict(port.attrib)
            state = port.find("state")
            if state is not None:
                item.update(state.attrib)
            service = port.find("service")
            if service is not None:
                item["service"] = dict(service.attrib)
                item["cpe"] = [{"cpe": c.text} for c in service.findall("cpe")]
            item["scripts"] = self.parse_scripts(port.findall("script"))
            ports.append(item)
        return ports

    def parse_scripts(self, scripts_xml):
        scripts = []
        for script in scripts_xml:
            data = self.convert_xml_elements(script)
            for key, value in self.convert_xml_tables(script.findall("table")).items():
                if key:
                    data[key] = value
            scripts.append({"name": script.get("id"), "raw": script.get("output"), "data": data})
        return scripts

    def convert_xml_tables(self, xml_tables):
        """Keyed tables become nested dicts; the elems of unkeyed tables (and
        a keyed table's own elems) are dicts in a ``children`` list."""
        data = {}
        for table in xml_tables:
            key = table.get("key")
            elems = self.convert_xml_elements(table)
            if key is None:
                if elems:
                    data.setdefault("children", []).append(elems)
                continue
            data[key] = self.convert_xml_tables(table.findall("table"))
            if elems:
                data[key].setdefault("children", []).append(elems)
        return data

    def convert_xml_elements(self, xml_obj):
        """Direct ``<elem>``s: by key, or by their index (an int) when they
        have none."""
        elements = {}
        for i, elem in enumerate(xml_obj.findall("elem")):
            key = elem.get("key")
            elements[i if key is None else key] = elem.text
        return elements
