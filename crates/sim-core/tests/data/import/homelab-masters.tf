variable "master_nodes" {
  type = map(object({
    name       = string
    node       = string  # Distribute across Proxmox hosts
    ip_address = string
  }))

  # Enforce odd number with validation
  validation {
    condition     = length(var.master_nodes) >= 3 && length(var.master_nodes) % 2 != 0
    error_message = "Must have odd number of masters (3, 5, or 7) for quorum"
  }

  default = {
    master1 = {
      name       = "k3s-master-1"
      node       = "proxmox-1"  # Proxmox host 1
      ip_address = "10.2.0.11"
    }
    master2 = {
      name       = "k3s-master-2"
      node       = "proxmox-2"  # Proxmox host 2
      ip_address = "10.2.0.12"
    }
    master3 = {
      name       = "k3s-master-3"
      node       = "proxmox-1"  # Back to host 1
      ip_address = "10.2.0.13"
    }
  }
}

# Anti-affinity: Distribute masters across Proxmox nodes
locals {
  proxmox_nodes = distinct([for k, v in var.master_nodes : v.node])
}

resource "proxmox_vm_qemu" "k3s_master" {
  for_each = var.master_nodes

  name        = each.value.name
  target_node = each.value.node  # Explicit node assignment

  # HA configuration
  hastate = "started"
  hagroup = "k3s-masters"

  lifecycle {
    create_before_destroy = true  # Ensures smooth failover
  }
}
